"""A kept-alive HTTP/1.1 connection for load generators: a POST with a JSON body, an answer with
a Content-Length, nothing else."""

from __future__ import annotations

import asyncio
import json


class Connection:
    """One kept-alive HTTP/1.1 connection, as lean as a load generator's must be.

    The clients share this machine's two CPUs with everything they test; httpx spent more CPU
    per order than the serving process did (docs/faults.md), so the clients speak the little HTTP
    they need themselves: a POST with a JSON body, an answer with a Content-Length."""

    def __init__(self, url: str) -> None:
        host_port = url.split("://", 1)[1]
        self.host, port = host_port.rsplit(":", 1)
        self.port = int(port)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        #: Whether the connection answered before: a failure on it is a stale keep-alive.
        self.reused = False

    async def post(self, path: str, body: dict, headers: dict[str, str]) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            self.reused = False
        payload = json.dumps(body).encode()
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self._writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{head}"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
            .encode() + payload)
        status_line, *lines = (await self._reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        fields = {name.strip().lower(): value.strip() for name, _, value in
                  (line.partition(b":") for line in lines if line)}
        answer = await self._reader.readexactly(int(fields.get(b"content-length", b"0")))
        self.reused = True
        if fields.get(b"connection", b"").lower() == b"close":
            self.close()
        return status, answer

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None
        self.reused = False
