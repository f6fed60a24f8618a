"""The messages sent to SEFAZ, each checked against its official schema (nfelib's copies):
the batch with one note (enviNFe), the protocol query (consSitNFe), the service's status
(consStatServ), the cancellation events
(envEvento 110111, and 110112 by substitution) and the voiding of numbers (inutNFe), the last
three signed.

nfelib ships no schema of the event 110112 (NT 2018.004): its envelope is checked against the
generic event schema nfelib ships, and its ``detEvento`` against :data:`SUBSTITUTION_XSD`,
written here from the NT's layout."""

from __future__ import annotations

from datetime import datetime

from lxml import etree
from posmodern.plugins.fiscal.nfce import (
    NFE, SCHEMAS, VERSION_APP, SchemaInvalid, _fill, validate)
from posmodern.plugins.fiscal.signer import Certificate, sign

EVENT_SCHEMAS = SCHEMAS.parent.parent.parent / "nfe_evento_cancel" / "schemas" / "v1_0"
GENERIC_EVENT_SCHEMAS = SCHEMAS.parent.parent.parent / "nfe_evento_generico" / "schemas" / "v1_0"
CANCEL = "110111"
CANCEL_BY_SUBSTITUTION = "110112"
#: detEvento of the event 110112 (NT 2018.004): the author (the issuer, tpAutor 1, of the UF's
#: cOrgao), the protocol of the note cancelled, why, and the key of the note that replaced it.
SUBSTITUTION_XSD = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
  xmlns="{NFE}" targetNamespace="{NFE}" elementFormDefault="qualified">
 <xs:element name="detEvento"><xs:complexType><xs:sequence>
  <xs:element name="descEvento"><xs:simpleType><xs:restriction base="xs:string">
   <xs:enumeration value="Cancelamento por substituicao"/></xs:restriction></xs:simpleType>
  </xs:element>
  <xs:element name="cOrgaoAutor"><xs:simpleType><xs:restriction base="xs:string">
   <xs:pattern value="[0-9]{{2}}"/></xs:restriction></xs:simpleType></xs:element>
  <xs:element name="tpAutor"><xs:simpleType><xs:restriction base="xs:string">
   <xs:enumeration value="1"/></xs:restriction></xs:simpleType></xs:element>
  <xs:element name="verAplic"><xs:simpleType><xs:restriction base="xs:string">
   <xs:minLength value="1"/><xs:maxLength value="20"/></xs:restriction></xs:simpleType>
  </xs:element>
  <xs:element name="nProt"><xs:simpleType><xs:restriction base="xs:string">
   <xs:pattern value="[0-9]{{15}}"/></xs:restriction></xs:simpleType></xs:element>
  <xs:element name="xJust"><xs:simpleType><xs:restriction base="xs:string">
   <xs:minLength value="15"/><xs:maxLength value="255"/>
   <xs:pattern value="[!-\xFF]{{1}}[ -\xFF]{{0,}}[!-\xFF]{{1}}|[!-\xFF]{{1}}"/>
  </xs:restriction></xs:simpleType></xs:element>
  <xs:element name="chNFeRef"><xs:simpleType><xs:restriction base="xs:string">
   <xs:pattern value="[0-9]{{44}}"/></xs:restriction></xs:simpleType></xs:element>
 </xs:sequence>
 <xs:attribute name="versao" use="required"><xs:simpleType><xs:restriction base="xs:string">
  <xs:enumeration value="1.00"/></xs:restriction></xs:simpleType></xs:attribute>
 </xs:complexType></xs:element>
</xs:schema>"""
_SUBSTITUTION_SCHEMA = etree.XMLSchema(etree.fromstring(SUBSTITUTION_XSD.encode()))


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


def service_status(uf_code: str, environment: str) -> etree._Element:
    """consStatServ: is the state's authorisation service in operation (107)?"""
    root = _root("consStatServ", "4.00")
    _fill(root, ("tpAmb", environment), ("cUF", uf_code), ("xServ", "STATUS"))
    validate(root, SCHEMAS / "consStatServ_v4.00.xsd")
    return root


def _event(kind: str, key: str, cnpj: str, environment: str, when: datetime,
           batch_id: int) -> tuple[etree._Element, etree._Element, etree._Element]:
    """envEvento with one event ``kind`` (sequence 1) of ``key``: (root, infEvento, detEvento)."""
    root = _root("envEvento", "1.00")
    _fill(root, ("idLote", batch_id))
    event = etree.SubElement(root, f"{{{NFE}}}evento", versao="1.00")
    info = etree.SubElement(event, f"{{{NFE}}}infEvento", Id=f"ID{kind}{key}01")
    _fill(info, ("cOrgao", key[:2]), ("tpAmb", environment), ("CNPJ", cnpj), ("chNFe", key),
          ("dhEvento", when.isoformat(timespec="seconds")), ("tpEvento", kind),
          ("nSeqEvento", 1), ("verEvento", "1.00"))
    return root, info, etree.SubElement(info, f"{{{NFE}}}detEvento", versao="1.00")


def cancellation(key: str, protocol: str, reason: str, cnpj: str, environment: str,
                 when: datetime, certificate: Certificate, batch_id: int) -> etree._Element:
    """envEvento with the signed cancellation (event 110111, sequence 1) of ``key``."""
    root, info, detail = _event(CANCEL, key, cnpj, environment, when, batch_id)
    _fill(detail, ("descEvento", "Cancelamento"), ("nProt", protocol), ("xJust", reason))
    sign(info, certificate)
    validate(root, EVENT_SCHEMAS / "envEventoCancNFe_v1.00.xsd")
    return root


def validate_substitution(root: etree._Element) -> None:
    """Raise :class:`SchemaInvalid` unless ``root`` (envEvento) is a valid event 110112."""
    validate(root, GENERIC_EVENT_SCHEMAS / "envEvento_v1.00.xsd")
    kinds = root.findall(f".//{{{NFE}}}tpEvento")
    if [kind.text for kind in kinds] != [CANCEL_BY_SUBSTITUTION]:
        raise SchemaInvalid([f"tpEvento: expected one {CANCEL_BY_SUBSTITUTION}"])
    detail = root.find(f".//{{{NFE}}}detEvento")
    if not _SUBSTITUTION_SCHEMA.validate(detail):
        raise SchemaInvalid([f"{e.path}: {e.message}" for e in _SUBSTITUTION_SCHEMA.error_log])


def substitution(key: str, protocol: str, reason: str, substitute_key: str, cnpj: str,
                 environment: str, when: datetime, certificate: Certificate,
                 batch_id: int) -> etree._Element:
    """envEvento with the signed cancellation by substitution (event 110112, NFC-e only) of
    ``key``, replaced by the note ``substitute_key`` issued for the same sale."""
    root, info, detail = _event(CANCEL_BY_SUBSTITUTION, key, cnpj, environment, when, batch_id)
    _fill(detail, ("descEvento", "Cancelamento por substituicao"), ("cOrgaoAutor", key[:2]),
          ("tpAutor", 1), ("verAplic", VERSION_APP[:20]), ("nProt", protocol),
          ("xJust", reason), ("chNFeRef", substitute_key))
    sign(info, certificate)
    validate_substitution(root)
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
