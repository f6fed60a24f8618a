"""The built-in drivers: ESC/POS (python-escpos) over raw TCP (port 9100), a serial port
(pyserial), or a CUPS queue (``lp -o raw``).

Each driver checks the connection a client sends (a malformed one is a 422 before anything is
stored) and opens it when the spool has a job. Status queries (``DLE EOT 1``) are asked only of
printers whose connection says ``status_query``: a printer that does not answer them would
otherwise look offline forever.
"""

from __future__ import annotations

import re
import subprocess
from typing import Any, Literal

from escpos.constants import RT_MASK_ONLINE, RT_STATUS_ONLINE
from escpos.printer import Network, Serial
from posmodern.core.bodies import Strict
from posmodern.core.peripherals import PrinterDriver, PrinterOffline
from pydantic import Field, field_validator

BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$")
_QUEUE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,126}$")


class NetworkConnection(Strict):
    host: str = Field(min_length=1, max_length=253, description="Host name or IP address")
    port: int = Field(default=9100, ge=1, le=65535)
    timeout: float = Field(default=5.0, gt=0, le=120, description="Seconds")
    status_query: bool = Field(default=False,
                               description="Ask DLE EOT before and after each job")

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not _HOST.match(value):
            raise ValueError("not a host name or IP address")
        return value


class SerialConnection(Strict):
    device: str = Field(min_length=6, max_length=200, description="A device under /dev")
    baudrate: Literal[BAUD_RATES] = 9600  # type: ignore[valid-type]
    timeout: float = Field(default=2.0, gt=0, le=120)
    status_query: bool = False

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        if not value.startswith("/dev/") or ".." in value.split("/"):
            raise ValueError("a serial printer's device is a path under /dev")
        return value


class CupsConnection(Strict):
    queue: str = Field(min_length=1, max_length=127, description="The CUPS queue's name")

    @field_validator("queue")
    @classmethod
    def _queue(cls, value: str) -> str:
        if not _QUEUE.match(value):
            raise ValueError("a CUPS queue name is letters, digits, _ . and -")
        return value


class EscposDevice:
    """An open python-escpos printer, as the spool's :class:`Printer`."""

    def __init__(self, device, status_query: bool) -> None:
        self.device = device
        self.status_query = status_query

    def online(self) -> bool | None:
        if not self.status_query:
            return None
        try:
            answer = self.device.query_status(RT_STATUS_ONLINE)
        except OSError:
            return False
        return bool(answer) and not answer[0] & RT_MASK_ONLINE

    def write(self, data: bytes) -> None:
        self.device._raw(data)

    def close(self) -> None:
        try:
            self.device.close()
        except Exception:  # noqa: BLE001 - a vanished pty raises termios.error, no OSError
            # A port gone from under us (unplugged) cannot be flushed: close it unflushed, and
            # drop it so that python-escpos does not try again when the object is collected.
            port, self.device._device = self.device._device, False
            try:
                port.close()
            except Exception:  # noqa: BLE001, S110 - nothing more can be done with it
                pass


def _open_network(connection: dict[str, Any]) -> EscposDevice:
    spec = NetworkConnection(**connection)
    device = Network(spec.host, spec.port, timeout=spec.timeout)
    try:
        device.open()
    except Exception as exc:
        raise PrinterOffline(f"{spec.host}:{spec.port}: {exc}".strip()) from exc
    return EscposDevice(device, spec.status_query)


def _open_serial(connection: dict[str, Any]) -> EscposDevice:
    spec = SerialConnection(**connection)
    device = Serial(devfile=spec.device, baudrate=spec.baudrate, timeout=spec.timeout)
    try:
        device.open()
    except Exception as exc:
        raise PrinterOffline(f"{spec.device}: {exc}".strip()) from exc
    return EscposDevice(device, spec.status_query)


class CupsQueue:
    """A CUPS queue taking the ESC/POS bytes as they are (``lp -o raw``)."""

    def __init__(self, queue: str) -> None:
        self.queue = queue

    def write(self, data: bytes) -> None:
        try:
            done = subprocess.run(["lp", "-d", self.queue, "-o", "raw"], input=data,
                                  capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PrinterOffline(f"CUPS queue {self.queue}: {exc}") from exc
        if done.returncode != 0:
            raise PrinterOffline(f"CUPS queue {self.queue}: "
                                 + done.stderr.decode(errors="replace").strip())

    def close(self) -> None:
        pass


def _checker(model):
    return lambda connection: model(**connection).model_dump()


BUILT_IN = [
    PrinterDriver("escpos-network", _open_network, "ESC/POS over raw TCP (port 9100)",
                  _checker(NetworkConnection)),
    PrinterDriver("escpos-serial", _open_serial, "ESC/POS over a serial port",
                  _checker(SerialConnection)),
    PrinterDriver("escpos-cups", lambda c: CupsQueue(CupsConnection(**c).queue),
                  "ESC/POS bytes sent raw to a CUPS queue", _checker(CupsConnection)),
]
