"""The messages sent to SEFAZ, each checked against its official schema (nfelib's copies):
the batch with one note (enviNFe), the protocol query (consSitNFe), the cancellation event
(envEvento 110111) and the voiding of numbers (inutNFe), the last two signed."""

from __future__ import annotations

from datetime import datetime

from lxml import etree
from posmodern.plugins.fiscal.nfce import NFE, SCHEMAS, _fill, validate
from posmodern.plugins.fiscal.signer import Certificate, sign

EVENT_SCHEMAS = SCHEMAS.parent.parent.parent / "nfe_evento_cancel" / "schemas" / "v1_0"
CANCEL = "110111"


def _root(tag: str, version: str, **attrs: str) -> etree._Element:
    return etree.Element(f"{{{NFE}}}{tag}", nsmap={None: NFE}, versao=version, **attrs)


def batch(signed_note: str, batch_id: int) -> etree._Element:
    """enviNFe with one note, synchronous (indSinc 1)."""
    root = _root("enviNFe", "4.00")
    _fill(root, ("idLote", batch_id), ("indSinc", 1))
    root.append(etree.fromstring(signed_note))
    validate(root, SCHEMAS / "enviNFe_v4.00.xsd")
    return root


def query(key: str, environment: str) -> etree._Element:
    root = _root("consSitNFe", "4.00")
    _fill(root, ("tpAmb", environment), ("xServ", "CONSULTAR"), ("chNFe", key))
    validate(root, SCHEMAS / "consSitNFe_v4.00.xsd")
    return root


def cancellation(key: str, protocol: str, reason: str, cnpj: str, environment: str,
                 when: datetime, certificate: Certificate, batch_id: int) -> etree._Element:
    """envEvento with the signed cancellation (event 110111, sequence 1) of ``key``."""
    root = _root("envEvento", "1.00")
    _fill(root, ("idLote", batch_id))
    event = etree.SubElement(root, f"{{{NFE}}}evento", versao="1.00")
    info = etree.SubElement(event, f"{{{NFE}}}infEvento", Id=f"ID{CANCEL}{key}01")
    _fill(info, ("cOrgao", key[:2]), ("tpAmb", environment), ("CNPJ", cnpj), ("chNFe", key),
          ("dhEvento", when.isoformat(timespec="seconds")), ("tpEvento", CANCEL),
          ("nSeqEvento", 1), ("verEvento", "1.00"))
    detail = etree.SubElement(info, f"{{{NFE}}}detEvento", versao="1.00")
    _fill(detail, ("descEvento", "Cancelamento"), ("nProt", protocol), ("xJust", reason))
    sign(info, certificate)
    validate(root, EVENT_SCHEMAS / "envEventoCancNFe_v1.00.xsd")
    return root


def voiding(uf_code: str, year: int, cnpj: str, series: int, first: int, last: int,
            reason: str, environment: str, certificate: Certificate) -> etree._Element:
    """inutNFe of the numbers ``first``..``last`` of a series of model 65, signed."""
    root = _root("inutNFe", "4.00")
    ident = f"ID{uf_code}{year % 100:02d}{cnpj:>014}65{series:03d}{first:09d}{last:09d}"
    info = etree.SubElement(root, f"{{{NFE}}}infInut", Id=ident)
    _fill(info, ("tpAmb", environment), ("xServ", "INUTILIZAR"), ("cUF", uf_code),
          ("ano", f"{year % 100:02d}"), ("CNPJ", cnpj), ("mod", "65"), ("serie", series),
          ("nNFIni", first), ("nNFFin", last), ("xJust", reason))
    sign(info, certificate)
    validate(root, SCHEMAS / "inutNFe_v4.00.xsd")
    return root
