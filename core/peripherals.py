"""The printer driver contract: what a peripherals plugin registers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol


class Printer(Protocol):
    """An open printer: takes raw bytes (ESC/POS or the driver's own)."""

    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class PrinterDriver:
    """A named way to reach printers (``escpos-serial``, ``escpos-network`` …).

    ``open(connection)`` receives the printer's stored connection settings (device path, host and
    port …) and returns a :class:`Printer`.
    """

    name: str
    open: Callable[[dict[str, Any]], Printer]
    description: str = ""
