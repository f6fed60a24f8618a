"""The SEFAZ web services of NFC-e 4.00 (SOAP 1.2): authorisation (synchronous), receipt
query, protocol query, events (cancellation) and number voiding (inutilização).

The state's endpoints come from :data:`ENDPOINTS` (production and homologação); a store may
point at other ones (``POS_FISCAL_SEFAZ_URL``: ``<base>/<Service>``). With an https endpoint the
A1 certificate authenticates the store (mutual TLS), and SEFAZ's certificate is checked against
the system's CAs or those of ``POS_FISCAL_SEFAZ_CA_FILE``.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from dataclasses import dataclass

import httpx
from lxml import etree
from posmodern.plugins.fiscal import settings as spec
from posmodern.plugins.fiscal.issuer import StoreFiscal
from posmodern.plugins.fiscal.nfce import NFE
from posmodern.plugins.fiscal.signer import Certificate
from posmodern.schema.types import utcnow

SOAP = "http://www.w3.org/2003/05/soap-envelope"
WSDL = "http://www.portalfiscal.inf.br/nfe/wsdl/"
SERVICES = {"NFeAutorizacao4": "nfeAutorizacaoLote", "NFeRetAutorizacao4": "nfeRetAutorizacaoLote",
            "NFeConsultaProtocolo4": "nfeConsultaNF", "NFeRecepcaoEvento4": "nfeRecepcaoEvento",
            "NFeInutilizacao4": "nfeInutilizacaoNF", "NFeStatusServico4": "nfeStatusServicoNF"}
_SP = {"NFeAutorizacao4": "NFeAutorizacao4.asmx", "NFeRetAutorizacao4": "NFeRetAutorizacao4.asmx",
       "NFeConsultaProtocolo4": "NFeConsultaProtocolo4.asmx",
       "NFeRecepcaoEvento4": "NFeRecepcaoEvento4.asmx",
       "NFeInutilizacao4": "NFeInutilizacao4.asmx", "NFeStatusServico4": "NFeStatusServico4.asmx"}
_SVRS = {"NFeAutorizacao4": "NfeAutorizacao/NFeAutorizacao4.asmx",
         "NFeRetAutorizacao4": "NfeRetAutorizacao/NFeRetAutorizacao4.asmx",
         "NFeConsultaProtocolo4": "NfeConsulta/NfeConsulta4.asmx",
         "NFeRecepcaoEvento4": "recepcaoevento/recepcaoevento4.asmx",
         "NFeInutilizacao4": "nfeinutilizacao/nfeinutilizacao4.asmx",
         "NFeStatusServico4": "NfeStatusServico/NfeStatusServico4.asmx"}
#: The services' own names as paths (GO, MG, MS, PR).
_NAMED = {service: service for service in SERVICES}
#: AM and MT: "Nfe…" paths, the protocol query at NfeConsulta4 and events at RecepcaoEvento4.
_AM_MT = {"NFeAutorizacao4": "NfeAutorizacao4", "NFeRetAutorizacao4": "NfeRetAutorizacao4",
          "NFeConsultaProtocolo4": "NfeConsulta4", "NFeRecepcaoEvento4": "RecepcaoEvento4",
          "NFeInutilizacao4": "NfeInutilizacao4", "NFeStatusServico4": "NfeStatusServico4"}
#: (UF, tpAmb) → (base URL, paths). RS runs SVRS's software on its own hosts. AM, GO, MG, MS,
#: MT and PR authorize NFC-e at their own SEFAZ (addresses as listed by the states and kept by
#: sped-nfe's wsnfe_4.00_mod65.xml, July 2025; not yet tried against the real services). The
#: other states authorize NFC-e at SVRS.
ENDPOINTS = {
    ("SP", "1"): ("https://nfce.fazenda.sp.gov.br/ws/", _SP),
    ("SP", "2"): ("https://homologacao.nfce.fazenda.sp.gov.br/ws/", _SP),
    ("RS", "1"): ("https://nfce.sefazrs.rs.gov.br/ws/", _SVRS),
    ("RS", "2"): ("https://nfce-homologacao.sefazrs.rs.gov.br/ws/", _SVRS),
    ("AM", "1"): ("https://nfce.sefaz.am.gov.br/nfce-services/services/", _AM_MT),
    ("AM", "2"): ("https://homnfce.sefaz.am.gov.br/nfce-services/services/", _AM_MT),
    ("GO", "1"): ("https://nfe.sefaz.go.gov.br/nfe/services/", _NAMED),
    ("GO", "2"): ("https://homolog.sefaz.go.gov.br/nfe/services/", _NAMED),
    ("MG", "1"): ("https://nfce.fazenda.mg.gov.br/nfce/services/", _NAMED),
    ("MG", "2"): ("https://hnfce.fazenda.mg.gov.br/nfce/services/", _NAMED),
    ("MS", "1"): ("https://nfce.sefaz.ms.gov.br/ws/", _NAMED),
    ("MS", "2"): ("https://hom.nfce.sefaz.ms.gov.br/ws/", _NAMED),
    ("MT", "1"): ("https://nfce.sefaz.mt.gov.br/nfcews/services/", _AM_MT),
    ("MT", "2"): ("https://homologacao.sefaz.mt.gov.br/nfcews/services/", _AM_MT),
    ("PR", "1"): ("https://nfce.sefa.pr.gov.br/nfce/", _NAMED),
    ("PR", "2"): ("https://homologacao.nfce.sefa.pr.gov.br/nfce/", _NAMED),
    ("SVRS", "1"): ("https://nfce.svrs.rs.gov.br/ws/", _SVRS),
    ("SVRS", "2"): ("https://nfce-homologacao.svrs.rs.gov.br/ws/", _SVRS),
}
#: States that authorize NFC-e at their own SEFAZ: never sent to SVRS, which would refuse them.
OWN_AUTHORIZER = ("AM", "GO", "MG", "MS", "MT", "PR", "RS", "SP")


class NoAnswer(Exception):
    """SEFAZ did not answer in time (or could not be reached): the outcome is unknown."""


class NoEndpoint(NoAnswer):
    """The store's state has no address here: nothing was sent (the notes go on in contingency
    and the log says what to set)."""


@dataclass(frozen=True)
class Answer:
    """SEFAZ's answer: the outer status and, when there is one, the note's or event's."""

    status: str
    reason: str
    inner_status: str | None = None
    inner_reason: str | None = None
    protocol: str | None = None
    xml: str = ""
    #: A query's own status decides (101: cancelled, whatever its protocol says).
    outer_decides: bool = False

    @property
    def final(self) -> str:
        """The status that decides: the protocol's or event's when there is one."""
        if self.outer_decides:
            return self.status
        return self.inner_status or self.status


def endpoint(uf: str, environment: str, service: str, override: str = "") -> str:
    if override:
        return f"{override.rstrip('/')}/{service}"
    found = ENDPOINTS.get((uf, environment))
    if found is None and uf not in OWN_AUTHORIZER and uf in spec.UF_CODES:
        found = ENDPOINTS.get(("SVRS", environment))
    if found is None:
        raise NoEndpoint(f"no SEFAZ address here for the state {uf!r} in environment "
                         f"{environment!r}: set POS_FISCAL_SEFAZ_URL")
    base, paths = found
    return base + paths[service]


def envelope(service: str, message: etree._Element) -> bytes:
    env = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soap12": SOAP})
    body = etree.SubElement(env, f"{{{SOAP}}}Body")
    data = etree.SubElement(body, f"{{{WSDL}{service}}}nfeDadosMsg", nsmap={None: WSDL + service})
    data.append(message)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def _text(element: etree._Element | None, name: str) -> str | None:
    if element is None:
        return None
    found = element.find(f".//{{{NFE}}}{name}")
    return found.text if found is not None else None


def parse_answer(raw: bytes) -> Answer:
    """The answer's statuses, protocol number and the protocol's XML."""
    try:
        root = etree.fromstring(raw)
    except etree.XMLSyntaxError as exc:
        raise NoAnswer(f"SEFAZ answered something that is not XML: {exc}") from exc
    result = root.find(f".//{{{SOAP}}}Body")
    result = result[0][0] if result is not None and len(result) and len(result[0]) else None
    if result is None:
        raise NoAnswer("SEFAZ's answer has no result")
    inner = None
    for tag in ("protNFe", "retEvento", "infInut"):
        inner = result.find(f".//{{{NFE}}}{tag}")
        if inner is not None:
            break
    status, reason = result.findtext(f"{{{NFE}}}cStat"), result.findtext(f"{{{NFE}}}xMotivo")
    if result.tag == f"{{{NFE}}}retInutNFe":
        status, reason = _text(result, "cStat"), _text(result, "xMotivo")
        inner = None
    return Answer(status=status or "", reason=reason or "",
                  inner_status=_text(inner, "cStat"), inner_reason=_text(inner, "xMotivo"),
                  protocol=_text(inner, "nProt") or _text(result, "nProt"),
                  xml=etree.tostring(inner, encoding="unicode") if inner is not None else "",
                  outer_decides=result.tag == f"{{{NFE}}}retConsSitNFe")


def _tls(certificate: Certificate | None, ca_file: str = "") -> ssl.SSLContext:
    """Mutual TLS with the A1 certificate (its key lives in a file only while it loads),
    trusting the CAs of ``ca_file`` when given, else the system's."""
    try:
        context = ssl.create_default_context(cafile=ca_file or None)
    except OSError as exc:  # a missing or unreadable CA file: nothing can be sent
        raise NoAnswer(f"the CA file {ca_file} cannot be read: {exc}") from exc
    if certificate is None:
        return context
    handle, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(certificate.key_pem() + certificate.pem())
        context.load_cert_chain(path)
    finally:
        os.unlink(path)
    return context


async def call(url: str, service: str, message: etree._Element, timeout: float,
               certificate: Certificate | None = None, ca_file: str = "") -> Answer:
    """Post ``message`` to ``service`` at ``url``; :class:`NoAnswer` when it gets none (a
    refused TLS handshake included: nothing reached SEFAZ's service)."""
    headers = {"Content-Type": f'application/soap+xml; charset=utf-8; '
                               f'action="{WSDL}{service}/{SERVICES[service]}"'}
    tls = _tls(certificate, ca_file) if url.startswith("https") else True
    try:
        async with httpx.AsyncClient(timeout=timeout, verify=tls) as client:
            response = await client.post(url, content=envelope(service, message),
                                         headers=headers)
    except (httpx.HTTPError, OSError) as exc:
        # OSError: a TLS alert read after the handshake (the server refused our certificate)
        # reaches us as a bare ssl.SSLError, not wrapped by httpx.
        raise NoAnswer(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code >= 500 or response.status_code in (404, 408, 429):
        raise NoAnswer(f"SEFAZ answered HTTP {response.status_code}")
    return parse_answer(response.content)


async def store_call(store: StoreFiscal, service: str, message: etree._Element,
                     timeout: float) -> Answer:
    """:func:`call` the store's SEFAZ (its state's, or ``POS_FISCAL_SEFAZ_URL``) with its A1
    certificate and the CAs it trusts."""
    url = endpoint(store[spec.UF], store.environment, service, store[spec.SEFAZ_URL])
    return await call(url, service, message, timeout, store.certificate(utcnow()),
                      store[spec.SEFAZ_CA_FILE] or "")
