"""The counter: the cashier's POS page (``/pos/``), the drawer's shifts and a card-terminal tender."""
