"""Stand-ins for hardware: a network printer on 127.0.0.1 (raw TCP, like port 9100) and serial
devices on a pty pair (a printer we read from, a Toledo-style scale that answers ENQ).

The network printer records every byte, answers ``DLE EOT`` status queries when told to, and can
be stopped (connections dropped, the port closed) and started again on the same port, or drop
a connection just after a ticket was cut.
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
import tty

STATUS_QUERY = b"\x10\x04\x01"
ONLINE = b"\x12"
CUT = b"\x1dV\x00"
PULSE = b"\x1bp\x00"


class NetworkPrinter:
    def __init__(self, answer_status: bool = True) -> None:
        self.answer_status = answer_status
        self.received = bytearray()
        self.lock = threading.Lock()
        self.port = 0
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self.connections = 0
        self.last_byte_at = 0.0
        #: Cut the connection right after this many more paper cuts arrive (a cable pulled just
        #: as a ticket printed): the sender gets no answer to the status query that follows.
        self.drop_after_cuts = 0

    def start(self) -> NetworkPrinter:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        """The printer is switched off: the port closes and open connections drop."""
        listener, self._listener = self._listener, None
        if listener is not None:
            # close() alone does not wake a thread blocked in accept() on Linux: the port would
            # go on taking connections.
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        for conn in list(self._connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        self._connections.clear()

    @property
    def connection(self) -> dict:
        return {"host": "127.0.0.1", "port": self.port, "timeout": 2,
                "status_query": self.answer_status}

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            self.connections += 1
            self._connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        pending = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                conn.close()
                return
            pending += chunk
            with self.lock:
                self.received += chunk
                self.last_byte_at = time.monotonic()
                dropped = self.drop_after_cuts > 0 and CUT in chunk
                if dropped:
                    self.drop_after_cuts -= 1
            if dropped:
                conn.close()
                return
            while self.answer_status and STATUS_QUERY in pending:
                pending = pending.split(STATUS_QUERY, 1)[1]
                try:
                    conn.sendall(ONLINE)
                except OSError:
                    return
            pending = pending[-2:]

    def data(self) -> bytes:
        with self.lock:
            return bytes(self.received).replace(STATUS_QUERY, b"")

    def tickets(self) -> list[bytes]:
        """What was printed, one entry per paper cut."""
        return [part for part in self.data().split(CUT)[:-1]]

    def text(self, codec: str = "cp860") -> str:
        return self.data().decode(codec, errors="replace")


class SerialPair:
    """A pty: ``device`` is the path a driver opens; the test reads and writes ``master``."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        tty.setraw(self.master)
        self.device = os.ttyname(self.slave)

    def read(self, until: bytes, timeout: float = 10.0) -> bytes:
        data = b""
        deadline = time.monotonic() + timeout
        while until not in data and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                data += os.read(self.master, 65536)
        return data

    def close(self) -> None:
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


class ToledoScale(SerialPair):
    """A scale answering each ENQ with STX, the weight in grams (five digits), ETX."""

    def __init__(self) -> None:
        super().__init__()
        self.answer: bytes | None = b"00350"
        self._running = True
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while self._running:
            try:
                ready, _, _ = select.select([self.master], [], [], 0.1)
                if ready and b"\x05" in os.read(self.master, 64) and self.answer is not None:
                    os.write(self.master, b"\x02" + self.answer + b"\x03")
            except OSError:
                return

    def close(self) -> None:
        self._running = False
        time.sleep(0.15)
        super().close()
