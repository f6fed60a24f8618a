"""A small SEFAZ of ours on 127.0.0.1: the NFC-e 4.00 web services over SOAP 1.2.

It checks what a real one checks first (the SOAP 1.2 envelope, the service's namespace in
``nfeDadosMsg``, each message against the official schema) and answers as documented:
authorisation (100 in a retEnviNFe 104), duplicity (539) for a number it already authorised
under another key, rejections on demand, protocol queries (100, 101 cancelled, 217 unknown),
cancellation events (135: 110111, and 110112 by substitution once it has checked the substitute,
as NT 2018.004 asks: authorised, in contingency, the same total; its refusals' codes are its
own), number voiding (102) and the service's status (``service_status``: 107 in operation). ``silence`` makes it hold every answer
longer than the client waits; ``lose_answers`` makes it authorise what it got and answer
nothing (a send without answer that did reach SEFAZ). Given ``tls`` (its certificate, key and
the CA its clients' certificates must come from) it serves HTTPS and requires a client
certificate, as SEFAZ does: ``clients`` holds the DER of each one presented.
"""

from __future__ import annotations

import random
import ssl
import threading
import time
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from lxml import etree
from posmodern.plugins.fiscal import messages, nfce

SOAP = "http://www.w3.org/2003/05/soap-envelope"
NFE = nfce.NFE
WSDL = "http://www.portalfiscal.inf.br/nfe/wsdl/"
SCHEMAS = {"NFeAutorizacao4": nfce.SCHEMAS / "enviNFe_v4.00.xsd",
           "NFeConsultaProtocolo4": nfce.SCHEMAS / "consSitNFe_v4.00.xsd",
           "NFeInutilizacao4": nfce.SCHEMAS / "inutNFe_v4.00.xsd",
           "NFeStatusServico4": nfce.SCHEMAS / "consStatServ_v4.00.xsd",
           "NFeRecepcaoEvento4": messages.EVENT_SCHEMAS / "envEventoCancNFe_v1.00.xsd"}


@lru_cache(maxsize=None)
def _schema(service: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS[service])))


def _e(tag: str, text: object = None, **attrs: str) -> etree._Element:
    element = etree.Element(f"{{{NFE}}}{tag}", nsmap={None: NFE}, **attrs)
    if text is not None:
        element.text = str(text)
    return element


def _with(parent: etree._Element, *children: etree._Element) -> etree._Element:
    parent.extend(children)
    return parent


class FakeSefaz:
    def __init__(self, tls: tuple[Path, Path, Path] | None = None) -> None:
        #: (certificate, key, client CA) PEM files: HTTPS with mutual TLS.
        self.tls = tls
        self.clients: list[bytes] = []
        self.authorised: dict[str, dict] = {}   # key -> {"protocol", "number", "xml"}
        self.by_number: dict[tuple[int, int], str] = {}
        self.cancelled: set[str] = set()
        #: (tpEvento, chNFe, chNFeRef or None) of every event registered.
        self.events: list[tuple[str, str, str | None]] = []
        self.voided: list[tuple[int, int, int]] = []
        self.requests: list[tuple[str, bytes]] = []
        self.errors: list[str] = []
        self.silence = 0.0
        #: Every answer waits this long (a distant SEFAZ); a share of the requests (chosen at
        #: random) are held for ``silence_for`` seconds, half of those authorised all the same.
        self.latency = 0.0
        self.silence_ratio = 0.0
        self.silence_for = 0.0
        self.answers: list[str] = []
        self.lose_answers = False
        self.reject: tuple[str, str] | None = None
        #: What NFeStatusServico4 answers (cStat, xMotivo).
        self.service_status = ("107", "Serviço em Operação")
        #: tpEvento → (cStat, xMotivo): events of that kind refused so.
        self.refuse_events: dict[str, tuple[str, str]] = {}
        self._protocol = 135260000000000
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- life -----------------------------------------------------------------------------
    def start(self) -> "FakeSefaz":
        sefaz = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                if sefaz.tls:
                    sefaz.clients.append(self.connection.getpeercert(binary_form=True))
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                service = self.path.rstrip("/").rsplit("/", 1)[-1]
                status, answer = sefaz.handle(service, self.headers.get("Content-Type", ""),
                                              body)
                if answer is None:
                    return  # silence: the client gave up already
                self.send_response(status)
                self.send_header("Content-Type", "application/soap+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if self.tls:
            cert, key, client_ca = self.tls
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            context.load_verify_locations(client_ca)
            context.verify_mode = ssl.CERT_REQUIRED  # no client certificate, no handshake
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}/ws"

    # --- protocol -------------------------------------------------------------------------
    def handle(self, service: str, content_type: str, body: bytes):
        self.requests.append((service, body))
        problem, message = self._message(service, content_type, body)
        if problem:
            self.errors.append(problem)
            return 400, problem.encode()
        if self.latency:
            time.sleep(self.latency)
        silence, lose = self.silence, self.lose_answers
        if not silence and self.silence_ratio and random.random() < self.silence_ratio:
            silence, lose = self.silence_for, random.random() < 0.5
        if silence:
            if lose and service == "NFeAutorizacao4":
                self._authorise(message.find(f"{{{NFE}}}NFe"))
            time.sleep(silence)
            return 200, None
        result = getattr(self, "_" + service)(message)
        self.answers.append(result.findtext(f".//{{{NFE}}}cStat") or "")
        return 200, self._envelope(service, result)

    def _message(self, service: str, content_type: str, body: bytes):
        if "application/soap+xml" not in content_type or f'{WSDL}{service}/' not in content_type:
            return f"bad Content-Type for SOAP 1.2 {service}: {content_type}", None
        try:
            root = etree.fromstring(body)
        except etree.XMLSyntaxError as exc:
            return f"not XML: {exc}", None
        data = root.find(f"{{{SOAP}}}Body/{{{WSDL}{service}}}nfeDadosMsg")
        if root.tag != f"{{{SOAP}}}Envelope" or data is None or len(data) != 1:
            return f"not a SOAP 1.2 envelope with nfeDadosMsg of {service}", None
        message = data[0]
        if message.findtext(f".//{{{NFE}}}tpEvento") == messages.CANCEL_BY_SUBSTITUTION:
            try:
                messages.validate_substitution(message)
            except nfce.SchemaInvalid as exc:
                return f"schema: {exc}", None
            return None, message
        schema = _schema(service)
        if not schema.validate(message):
            return "schema: " + "; ".join(str(e.message) for e in schema.error_log), None
        return None, message

    def _envelope(self, service: str, result: etree._Element) -> bytes:
        env = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soap": SOAP})
        body = etree.SubElement(env, f"{{{SOAP}}}Body")
        out = etree.SubElement(body, f"{{{WSDL}{service}}}nfeResultMsg",
                               nsmap={None: WSDL + service})
        out.append(result)
        return etree.tostring(env, xml_declaration=True, encoding="UTF-8")

    def _next_protocol(self) -> str:
        with self._lock:
            self._protocol += 1
            return str(self._protocol)

    def _key(self, nfe: etree._Element) -> str:
        return nfe.find(f"{{{NFE}}}infNFe").get("Id")[3:]

    def _authorise(self, nfe: etree._Element) -> tuple[str, str, str | None]:
        key = self._key(nfe)
        number = (int(key[22:25]), int(key[25:34]))
        with self._lock:
            if key in self.authorised:
                return "100", "Autorizado o uso da NF-e", self.authorised[key]["protocol"]
            if number in self.by_number:
                return "539", ("Rejeição: Duplicidade de NF-e com diferença na Chave de "
                               f"Acesso [chNFe: {self.by_number[number]}]"), None
        if self.reject:
            return self.reject[0], self.reject[1], None
        protocol = self._next_protocol()
        with self._lock:
            self.authorised[key] = {"protocol": protocol, "number": number,
                                    "xml": etree.tostring(nfe)}
            self.by_number[number] = key
        return "100", "Autorizado o uso da NF-e", protocol

    def _prot(self, key: str, status: str, reason: str, protocol: str | None) -> etree._Element:
        inf = _with(_e("infProt"), _e("tpAmb", 2), _e("verAplic", "FAKE-1.0"),
                    _e("chNFe", key), _e("dhRecbto", "2026-01-01T10:00:00-03:00"))
        if protocol:
            inf.append(_e("nProt", protocol))
        _with(inf, _e("digVal", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="), _e("cStat", status),
              _e("xMotivo", reason))
        return _with(_e("protNFe", versao="4.00"), inf)

    def _NFeAutorizacao4(self, message: etree._Element) -> etree._Element:
        nfe = message.find(f"{{{NFE}}}NFe")
        status, reason, protocol = self._authorise(nfe)
        return _with(_e("retEnviNFe", versao="4.00"), _e("tpAmb", 2), _e("verAplic", "FAKE"),
                     _e("cStat", 104), _e("xMotivo", "Lote processado"), _e("cUF", 35),
                     _e("dhRecbto", "2026-01-01T10:00:00-03:00"),
                     self._prot(self._key(nfe), status, reason, protocol))

    def _NFeConsultaProtocolo4(self, message: etree._Element) -> etree._Element:
        key = message.findtext(f"{{{NFE}}}chNFe")
        found = self.authorised.get(key)
        answer = _with(_e("retConsSitNFe", versao="4.00"), _e("tpAmb", 2),
                       _e("verAplic", "FAKE"))
        if found is None:
            return _with(answer, _e("cStat", 217), _e("xMotivo", "Rejeição: NF-e não consta "
                                                              "na base de dados da SEFAZ"),
                         _e("cUF", 35), _e("dhRecbto", "2026-01-01T10:00:00-03:00"),
                         _e("chNFe", key))
        status, reason = (("101", "Cancelamento de NF-e homologado") if key in self.cancelled
                          else ("100", "Autorizado o uso da NF-e"))
        return _with(answer, _e("cStat", status), _e("xMotivo", reason), _e("cUF", 35),
                     _e("dhRecbto", "2026-01-01T10:00:00-03:00"), _e("chNFe", key),
                     self._prot(key, "100", "Autorizado o uso da NF-e", found["protocol"]))

    def _NFeRecepcaoEvento4(self, message: etree._Element) -> etree._Element:
        info = message.find(f".//{{{NFE}}}infEvento")
        key = info.findtext(f"{{{NFE}}}chNFe")
        protocol = info.findtext(f".//{{{NFE}}}nProt")
        kind = info.findtext(f"{{{NFE}}}tpEvento")
        substitute = info.findtext(f".//{{{NFE}}}chNFeRef")
        known = self.authorised.get(key)
        problem = self._substitution_problem(key, substitute) \
            if kind == messages.CANCEL_BY_SUBSTITUTION else None
        if known is None or known["protocol"] != protocol:
            status, reason, number = "217", "Rejeição: NF-e não consta na base", None
        elif key in self.cancelled:
            status, reason, number = "573", "Rejeição: Duplicidade de evento", None
        elif problem or kind in self.refuse_events:
            (status, reason), number = problem or self.refuse_events[kind], None
        else:
            self.cancelled.add(key)
            self.events.append((kind, key, substitute))
            status, reason, number = ("135", "Evento registrado e vinculado a NF-e",
                                      self._next_protocol())
        inf = _with(_e("infEvento"), _e("tpAmb", 2), _e("verAplic", "FAKE"), _e("cOrgao", 35),
                    _e("cStat", status), _e("xMotivo", reason), _e("chNFe", key))
        if number:
            inf.append(_e("nProt", number))
        return _with(_e("retEnvEvento", versao="1.00"), _e("idLote", 1), _e("tpAmb", 2),
                     _e("verAplic", "FAKE"), _e("cOrgao", 35), _e("cStat", 128),
                     _e("xMotivo", "Lote de evento processado"),
                     _with(_e("retEvento", versao="1.00"), inf))

    def _facts(self, key: str) -> tuple[str, str]:
        """(tpEmis, vNF) of an authorised note."""
        inf = etree.fromstring(self.authorised[key]["xml"]).find(f"{{{NFE}}}infNFe")
        return (inf.findtext(f"{{{NFE}}}ide/{{{NFE}}}tpEmis"),
                inf.findtext(f"{{{NFE}}}total/{{{NFE}}}ICMSTot/{{{NFE}}}vNF"))

    def _substitution_problem(self, key: str, substitute: str) -> tuple[str, str] | None:
        """Why the event 110112 of ``key`` replaced by ``substitute`` is refused, or None."""
        if substitute not in self.authorised or substitute in self.cancelled:
            return "690", "Rejeição: NFC-e substituta não autorizada"
        if key not in self.authorised:
            return None  # answered as unknown
        (kind, total), (substitute_kind, substitute_total) = (self._facts(key),
                                                              self._facts(substitute))
        if kind != "1" or substitute_kind != "9":
            return "691", "Rejeição: substituição só de NFC-e normal por NFC-e em contingência"
        if total != substitute_total:
            return "692", "Rejeição: valor total da NFC-e substituta difere"
        return None

    def _NFeInutilizacao4(self, message: etree._Element) -> etree._Element:
        info = message.find(f"{{{NFE}}}infInut")
        series = int(info.findtext(f"{{{NFE}}}serie"))
        first, last = (int(info.findtext(f"{{{NFE}}}nNFIni")),
                       int(info.findtext(f"{{{NFE}}}nNFFin")))
        used = [n for n in range(first, last + 1) if (series, n) in self.by_number]
        if used:
            status, reason, number = "241", "Rejeição: Um número da faixa já foi utilizado", None
        else:
            self.voided.append((series, first, last))
            status, reason, number = "102", "Inutilização de número homologado", \
                self._next_protocol()
        inf = _with(_e("infInut"), _e("tpAmb", 2), _e("verAplic", "FAKE"), _e("cStat", status),
                    _e("xMotivo", reason), _e("cUF", 35))
        if number:
            _with(inf, _e("ano", 26), _e("CNPJ", info.findtext(f"{{{NFE}}}CNPJ")),
                  _e("mod", 65), _e("serie", series), _e("nNFIni", first), _e("nNFFin", last),
                  _e("dhRecbto", "2026-01-01T10:00:00-03:00"), _e("nProt", number))
        return _with(_e("retInutNFe", versao="4.00"), inf)

    def _NFeStatusServico4(self, message: etree._Element) -> etree._Element:
        status, reason = self.service_status
        return _with(_e("retConsStatServ", versao="4.00"), _e("tpAmb", 2),
                     _e("verAplic", "FAKE"), _e("cStat", status), _e("xMotivo", reason),
                     _e("cUF", message.findtext(f"{{{NFE}}}cUF")),
                     _e("dhRecbto", "2026-01-01T10:00:00-03:00"))

    def services(self) -> list[str]:
        return [service for service, _ in self.requests]


def save(path: Path, xml: str) -> Path:
    path.write_text(xml)
    return path
