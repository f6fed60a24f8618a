"""The printer driver contract: what a plugin registers through ``pos_printer_drivers``.

The peripherals plugin collects the drivers when it starts, renders each print job (ESC/POS bytes
for the printer's paper and code page) and hands the bytes to the driver the printer names. A
driver only moves bytes: it opens a connection, may say whether the printer is online, writes, and
closes. Its methods run in a worker thread, so they may block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from posmodern.core.errors import PluginError


class PrinterOffline(Exception):
    """The printer cannot take a job now (no answer, cover open, out of paper): try later."""


class Printer(Protocol):
    """An open printer: takes raw bytes (ESC/POS or the driver's own).

    A printer that can report its state also has ``online() -> bool`` (ESC/POS: ``DLE EOT 1``);
    the spool asks before writing and after, so that an answer after the write confirms the bytes
    reached the printer.
    """

    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...


def _accept(connection: dict[str, Any]) -> dict[str, Any]:
    return dict(connection)


@dataclass(frozen=True)
class PrinterDriver:
    """A named way to reach printers (``escpos-serial``, ``escpos-network`` …).

    ``open(connection)`` receives the printer's stored connection settings (device path, host and
    port …) and returns a :class:`Printer`. ``check(connection)`` validates the settings a client
    sends when it registers a printer and returns them as they are stored; it raises
    ``ValueError`` (the client sees a 422 with the message) for a bad one.
    """

    name: str
    open: Callable[[dict[str, Any]], Printer]
    description: str = ""
    check: Callable[[dict[str, Any]], dict[str, Any]] = _accept


def driver_registry(drivers: Iterable[PrinterDriver]) -> dict[str, PrinterDriver]:
    """The drivers by name; two drivers with one name are a :class:`PluginError`."""
    found: dict[str, PrinterDriver] = {}
    for driver in drivers:
        if not isinstance(driver, PrinterDriver):
            raise PluginError(f"pos_printer_drivers returned {driver!r}, not a PrinterDriver")
        if driver.name in found:
            raise PluginError(f"two printer drivers are named {driver.name!r}")
        found[driver.name] = driver
    return found


def key_lines(key: str) -> list[str]:
    """A fiscal document's 44-digit access key in groups of four, on two lines that fit 58 mm
    paper (the NFC-e's DANFE and the CF-e's extrato print it so)."""
    groups = [key[i:i + 4] for i in range(0, len(key), 4)]
    return [" ".join(groups[:6]), " ".join(groups[6:])]


@dataclass(frozen=True)
class ReceiptExtras:
    """What a plugin adds to a customer receipt (``pos_receipt_extras``): the fiscal plugin's
    lines (the NFC-e's access key, its protocol) and the data of a QR code (the consultation
    URL). A receipt with extra lines is no longer titled "CUPOM NÃO FISCAL"."""

    lines: tuple[str, ...] = ()
    qr: str | None = None
    #: What the lines show (the note's access key): a receipt of the order showing another one
    #: is printed again, one showing the same is not.
    key: str | None = None
    #: The plugin's document is on its way (a CF-e waiting for the store's SAT, which answers
    #: in seconds): the receipt is not printed now but on the plugin's event once it answered,
    #: with the document, so the customer is handed one receipt, not two.
    later: bool = False
