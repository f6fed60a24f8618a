"""The store's issuer data from its settings, the A1 certificate, and what is missing to issue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from posmodern.core.config import Settings
from posmodern.core.store_settings import store_values
from posmodern.plugins.fiscal import settings as spec
from posmodern.plugins.fiscal.checks import digits
from posmodern.plugins.fiscal.keys import QR_PAGES
from posmodern.plugins.fiscal.nfce import Issuer
from posmodern.plugins.fiscal.signer import Certificate, CertificateProblem, load_certificate
from sqlalchemy.ext.asyncio import AsyncConnection

#: Settings without which no note can be issued, and how an operator calls them.
REQUIRED = {spec.CNPJ: "CNPJ", spec.IE: "inscrição estadual", spec.NAME: "razão social",
            spec.STREET: "logradouro", spec.DISTRICT: "bairro", spec.CITY: "município",
            spec.CITY_CODE: "código IBGE do município", spec.CEP: "CEP",
            spec.CSC_ID: "id do CSC", spec.CSC: "CSC", spec.CERT_FILE: "certificado A1"}
_CERTIFICATES: dict[tuple[str, float, str], Certificate] = {}
#: Days before a certificate's expiry from which it is warned of (``/ready``, the dashboard).
CERTIFICATE_WARNING_DAYS = 30
#: What this process last found of each certificate file it used: when, and the day it expires
#: or why it cannot sign. Files no store used for a day are forgotten (a store moved to another).
_SEEN: dict[str, tuple[datetime, datetime | None, str | None]] = {}
_FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class StoreFiscal:
    """Everything of a store's settings that issuing and sending need."""

    values: dict[str, Any]

    def __getitem__(self, setting) -> Any:
        return self.values[setting.name]

    @property
    def environment(self) -> str:
        """tpAmb: 1 production, 2 homologação."""
        return "1" if self[spec.ENVIRONMENT] == spec.PRODUCAO else "2"

    @property
    def uf_code(self) -> str:
        return spec.UF_CODES[self[spec.UF]]

    def issuer(self) -> Issuer:
        return Issuer(cnpj=digits(self[spec.CNPJ]), ie=digits(self[spec.IE]),
                      crt=self[spec.CRT], name=self[spec.NAME],
                      trade_name=self[spec.TRADE_NAME], street=self[spec.STREET],
                      street_number=self[spec.STREET_NUMBER] or "S/N",
                      district=self[spec.DISTRICT], city=self[spec.CITY],
                      city_code=digits(self[spec.CITY_CODE]), uf=self[spec.UF],
                      uf_code=self.uf_code, cep=digits(self[spec.CEP]))

    def pages(self) -> tuple[str, str] | None:
        """(QR code URL, consultation URL) for the store's state and environment."""
        override = self[spec.QR_URL]
        if override:
            return override, override
        return QR_PAGES.get((self[spec.UF], self.environment))

    def missing(self) -> list[str]:
        """What an operator must fill in before the store can issue a note."""
        # The QR code v3 needs no CSC.
        unused = (spec.CSC_ID, spec.CSC) if self[spec.QR_VERSION] == "3" else ()
        found = [f"{spec_.name} ({label})" for spec_, label in REQUIRED.items()
                 if spec_ not in unused and not str(self[spec_] or "").strip()]
        if self.pages() is None:
            found.append(f"{spec.QR_URL.name} (URL de consulta da NFC-e de {self[spec.UF]})")
        return found

    def certificate(self, now: datetime) -> Certificate:
        """The store's A1 certificate (read once per file version)."""
        path = self[spec.CERT_FILE]
        try:
            found = self._certificate(path, now)
        except CertificateProblem as exc:
            _SEEN[path] = (now, None, str(exc))
            raise
        _SEEN[path] = (now, found.not_after, None)
        return found

    def _certificate(self, path: str, now: datetime) -> Certificate:
        try:
            stamp = Path(path).stat().st_mtime
        except OSError as exc:
            raise CertificateProblem(f"the certificate file cannot be read: {exc}") from exc
        cache_key = (path, stamp, self[spec.CERT_PASSWORD] or "")
        found = _CERTIFICATES.get(cache_key)
        if found is None or found.not_after <= now:
            found = load_certificate(path, self[spec.CERT_PASSWORD] or "", now)
            _CERTIFICATES[cache_key] = found
        return found


def certificate_warnings(now: datetime) -> list[str]:
    """The certificates this process used lately that cannot sign or expire within
    :data:`CERTIFICATE_WARNING_DAYS` (from memory: what ``/ready`` may answer)."""
    warnings = []
    for path, (seen, not_after, problem) in sorted(_SEEN.items()):
        if now - seen > _FORGET_AFTER:
            _SEEN.pop(path, None)
        elif problem is not None:
            warnings.append(f"fiscal: the A1 certificate {path} cannot sign ({problem}): "
                            "NFC-e wait, unsigned, until it is replaced")
        elif not_after is not None and (not_after - now).days <= CERTIFICATE_WARNING_DAYS:
            days = (not_after - now).days
            warnings.append(f"fiscal: the A1 certificate {path} expires in {days} day(s), on "
                            f"{not_after:%Y-%m-%d}: renew it before then")
    return warnings


async def store_fiscal(conn: AsyncConnection, settings: Settings, store_id: str) -> StoreFiscal:
    return StoreFiscal(await store_values(conn, settings, store_id, spec.ALL))
