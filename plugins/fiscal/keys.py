"""The NFC-e's access key (chave de acesso) and its QR code: version 2 (NT 2015.002 / 2016.002),
signed with the CSC, and version 3 (NT 2025.001), without CSC, whose contingency form is signed
with the A1 certificate.

The CSC's id goes into the QR code without its leading zeros only ("000010" is "10", never
"1": PyNFe's bug strips every zero).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

MODEL = "65"
QR_VERSION = "2"
QR_VERSION_3 = "3"
#: NFC-e consultation pages by state and environment (tpAmb 1 production, 2 homologação):
#: (QR code URL, urlChave). Other states: POS_FISCAL_QR_URL.
QR_PAGES = {
    ("SP", "1"): ("https://www.nfce.fazenda.sp.gov.br/qrcode",
                  "https://www.nfce.fazenda.sp.gov.br/consulta"),
    ("SP", "2"): ("https://www.homologacao.nfce.fazenda.sp.gov.br/qrcode",
                  "https://www.homologacao.nfce.fazenda.sp.gov.br/consulta"),
    ("RS", "1"): ("https://www.sefaz.rs.gov.br/NFCE/NFCE-COM.aspx",
                  "http://www.sefaz.rs.gov.br/nfce/consulta"),
    ("RS", "2"): ("https://www.sefaz.rs.gov.br/NFCE/NFCE-COM.aspx",
                  "http://www.sefaz.rs.gov.br/nfce/consulta"),
}


def check_digit(body: str) -> int:
    """Modulo 11 with weights 2..9 from the right; 0 when the rest is 0 or 1."""
    weights = [2, 3, 4, 5, 6, 7, 8, 9]
    total = sum(int(d) * weights[i % 8] for i, d in enumerate(reversed(body)))
    rest = total % 11
    return 0 if rest < 2 else 11 - rest


@dataclass(frozen=True)
class AccessKey:
    """The 44 digits: cUF, AAMM, CNPJ, model, series, number, tpEmis, cNF, check digit."""

    uf_code: str
    issued: datetime
    cnpj: str
    series: int
    number: int
    emission_type: int
    code: str

    @property
    def body(self) -> str:
        return (f"{self.uf_code}{self.issued:%y%m}{self.cnpj:>014}{MODEL}{self.series:03d}"
                f"{self.number:09d}{self.emission_type}{self.code}")

    @property
    def digit(self) -> int:
        return check_digit(self.body)

    def __str__(self) -> str:
        return f"{self.body}{self.digit}"


def random_code(number: int) -> str:
    """cNF: 8 random digits, never the note's number (a rejection reason)."""
    while True:
        code = f"{random.SystemRandom().randrange(10**8):08d}"
        if int(code) != number:
            return code


def _hash(text: str, csc: str) -> str:
    return hashlib.sha1((text + csc).encode()).hexdigest().upper()  # noqa: S324 - SEFAZ's rule


def qr_parameters(key: str, environment: str, csc_id: str, csc: str, *,
                  offline: bool = False, issued: datetime | None = None,
                  total: Decimal | None = None, digest: str | None = None) -> str:
    """The ``p`` parameter of a version 2 QR code; an offline note (tpEmis 9) also carries
    the day of issue, the total and its signature's digest in hex."""
    token = str(int(csc_id)) if csc_id.strip().isdigit() else csc_id.strip()
    if offline:
        # The digest's Base64 text, each character in hex (as SEFAZ's validator reads it).
        digest_hex = (digest or "").encode().hex()
        text = "|".join([key, QR_VERSION, environment, f"{issued:%d}", f"{total:.2f}",
                         digest_hex, token])
    else:
        text = "|".join([key, QR_VERSION, environment, token])
    return f"{text}|{_hash(text, csc)}"


def qr_parameters_v3(key: str, environment: str, *, offline: bool = False,
                     issued: datetime | None = None, total: Decimal | None = None,
                     cpf: str | None = None,
                     sign: Callable[[str], str] | None = None) -> str:
    """The ``p`` parameter of a version 3 QR code: ``key|3|tpAmb`` online; an offline note
    (tpEmis 9) adds the day of issue, the total, the consumer's identification (type 2 and the
    CPF, or both empty) and ``sign`` of those seven fields (RSA-SHA1 with the A1 certificate,
    Base64)."""
    text = "|".join([key, QR_VERSION_3, environment])
    if not offline:
        return text
    consumer = "".join(ch for ch in cpf or "" if ch.isdigit())
    text = "|".join([text, f"{issued:%d}", f"{total:.2f}", "2" if consumer else "", consumer])
    return f"{text}|{sign(text)}"
