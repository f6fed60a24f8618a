"""A print document (a list of small JSON operations) rendered as ESC/POS bytes.

Jobs store the document, not bytes: the printer that finally prints it (its backup, say) may have
other paper or another code page. Text is encoded in the printer profile's code page (CP860 or
CP850: both have the Portuguese accents), selected with ``ESC t``.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

from escpos.printer import Dummy

ESC, GS = b"\x1b", b"\x1d"
INIT = ESC + b"@"
BOLD = {True: ESC + b"E\x01", False: ESC + b"E\x00"}
LARGE = {True: GS + b"!\x11", False: GS + b"!\x00"}
ALIGN = {"left": ESC + b"a\x00", "center": ESC + b"a\x01", "right": ESC + b"a\x02"}
COLUMNS = {58: 32, 80: 48}
REPRINT_MARK = "*** REIMPRESSÃO ***"
#: A document bigger than this is refused before anything is queued.
MAX_OPERATIONS = 600
MAX_TEXT = 2000


@dataclass(frozen=True)
class Profile:
    """A printer model's code page: Python's codec and the ``ESC t`` number of its table."""

    name: str
    codec: str
    table: int
    description: str


PROFILES = {profile.name: profile for profile in (
    Profile("generic", "cp860", 3, "ESC/POS, PC860 (Portuguese)"),
    Profile("generic-cp850", "cp850", 2, "ESC/POS, PC850 (Multilingual)"),
    Profile("epson-tm-t20", "cp860", 3, "Epson TM-T20 (PC860)"),
    Profile("elgin-i9", "cp860", 3, "Elgin i9 in ESC/POS mode (PC860)"),
    Profile("bematech-mp4200", "cp850", 2, "Bematech MP-4200 TH in ESC/POS mode (PC850)"),
)}


class DocumentInvalid(ValueError):
    """A document the renderer cannot print (unknown operation, too big)."""


def check_document(document: list[dict[str, Any]]) -> None:
    """Refuse a document before it is queued, so a job never fails for its shape."""
    if not isinstance(document, list) or not document:
        raise DocumentInvalid("a document is a non-empty list of operations")
    if len(document) > MAX_OPERATIONS:
        raise DocumentInvalid(f"a document has at most {MAX_OPERATIONS} operations")
    for op in document:
        kind = op.get("op") if isinstance(op, dict) else None
        if kind not in _RENDERERS:
            raise DocumentInvalid(f"unknown operation {kind!r}")
        for value in op.values():
            if isinstance(value, str) and len(value) > MAX_TEXT:
                raise DocumentInvalid(f"a text of a document has at most {MAX_TEXT} characters")


def render(document: list[dict[str, Any]], *, paper_mm: int, profile: str,
           reprint: bool = False) -> bytes:
    """The ESC/POS bytes of ``document`` for a printer of ``paper_mm`` and ``profile``."""
    chosen = PROFILES.get(profile, PROFILES["generic"])
    page = _Page(chosen, COLUMNS.get(paper_mm, COLUMNS[80]))
    page.raw(INIT + ESC + b"t" + bytes([chosen.table]))
    if reprint:
        _RENDERERS["text"](page, {"text": REPRINT_MARK, "align": "center", "bold": True})
    for op in document:
        _RENDERERS[op["op"]](page, op)
    return bytes(page.out)


class _Page:
    def __init__(self, profile: Profile, columns: int) -> None:
        self.profile = profile
        self.columns = columns
        self.out = bytearray()

    def raw(self, data: bytes) -> None:
        self.out += data

    def line(self, text: str) -> None:
        self.out += text.encode(self.profile.codec, errors="replace") + b"\n"


def _text(page: _Page, op: dict[str, Any]) -> None:
    large = bool(op.get("large"))
    width = page.columns // 2 if large else page.columns
    page.raw(ALIGN.get(op.get("align", "left"), ALIGN["left"]) + BOLD[bool(op.get("bold"))]
             + LARGE[large])
    for paragraph in str(op.get("text", "")).split("\n"):
        for line in textwrap.wrap(paragraph, width) or [""]:
            page.line(line)
    page.raw(BOLD[False] + LARGE[False] + ALIGN["left"])


def _pair(page: _Page, op: dict[str, Any]) -> None:
    left, right = str(op.get("left", "")), str(op.get("right", ""))
    page.raw(BOLD[bool(op.get("bold"))])
    room = page.columns - len(right) - 1
    lines = textwrap.wrap(left, max(room, 1)) or [""]
    for line in lines[:-1]:
        page.line(line)
    page.line(lines[-1].ljust(room) + " " + right)
    page.raw(BOLD[False])


def _rule(page: _Page, op: dict[str, Any]) -> None:
    page.line(op.get("char", "-")[:1] * page.columns)


def _feed(page: _Page, op: dict[str, Any]) -> None:
    page.raw(b"\n" * max(0, min(int(op.get("lines", 1)), 10)))


def _escpos(page: _Page, build) -> None:
    dummy = Dummy()
    build(dummy)
    page.raw(dummy.output)


def _qr(page: _Page, op: dict[str, Any]) -> None:
    page.raw(ALIGN["center"])
    _escpos(page, lambda p: p.qr(str(op["data"]), native=True, size=5))
    page.raw(ALIGN["left"])


def _cut(page: _Page, op: dict[str, Any]) -> None:
    _escpos(page, lambda p: p.cut())


def _pulse(page: _Page, op: dict[str, Any]) -> None:
    _escpos(page, lambda p: p.cashdraw(2))


_RENDERERS = {"text": _text, "pair": _pair, "rule": _rule, "feed": _feed, "qr": _qr,
              "cut": _cut, "pulse": _pulse}
