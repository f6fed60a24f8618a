"""Peripherals: printers, their print spool, the cash drawer and the scale."""
