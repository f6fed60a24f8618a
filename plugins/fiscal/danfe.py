"""The DANFE NFC-e as one self-contained HTML page, for e-mail: read from the note's signed XML
(what SEFAZ holds), with its protocol once authorised; inline CSS and the QR code as a PNG in a
data URI (no link to fetch, no script). Every text from the note is escaped.

The printed DANFE goes through the peripherals plugin (ESC/POS draws the QR code itself).
"""

from __future__ import annotations

import base64
import io
from datetime import datetime
from decimal import Decimal
from html import escape
from typing import Any

import qrcode
from lxml import etree
from posmodern.core.peripherals import key_lines
from posmodern.plugins.fiscal.nfce import NFE

N = {"n": NFE}
#: tPag → how the DANFE names the tender.
TENDER_NAMES = {"01": "Dinheiro", "02": "Cheque", "03": "Cartão de Crédito",
                "04": "Cartão de Débito", "05": "Crédito Loja", "10": "Vale Alimentação",
                "11": "Vale Refeição", "12": "Vale Presente", "13": "Vale Combustível",
                "15": "Boleto Bancário", "16": "Depósito Bancário", "17": "PIX",
                "90": "Sem pagamento", "99": "Outros"}
STYLE = """
body{font-family:Arial,Helvetica,sans-serif;font-size:13px;color:#000;background:#fff;margin:0}
.danfe{max-width:420px;margin:0 auto;padding:12px}
h1{font-size:14px;margin:4px 0;text-align:center}
p{margin:2px 0}.c{text-align:center}.r{text-align:right}.b{font-weight:bold}
.banner{border:2px solid #000;font-weight:bold;text-align:center;padding:6px;margin:8px 0}
table{width:100%;border-collapse:collapse;margin:6px 0}
th,td{padding:2px 3px;vertical-align:top}th{border-bottom:1px solid #000;text-align:left}
.key{font-family:'Courier New',monospace;text-align:center;font-size:13px}
.qr{text-align:center;margin:8px 0}.qr img{width:180px;height:180px;image-rendering:pixelated}
hr{border:0;border-top:1px dashed #000;margin:8px 0}
"""


def _brl(text: str | None) -> str:
    """``1234.5`` → ``1.234,50``."""
    value = Decimal(text or "0").quantize(Decimal("0.01"))
    return f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def _quantity(text: str) -> str:
    value = Decimal(text).normalize()
    return f"{value:f}".replace(".", ",")


def _cnpj(value: str) -> str:
    if len(value) != 14:
        return value
    return f"{value[:2]}.{value[2:5]}.{value[5:8]}/{value[8:12]}-{value[12:]}"


def masked_cpf(cpf: str) -> str:
    """The consumer's CPF as the federal government publishes one (``***.456.789-**``): the
    middle six digits identify the note to its holder and no one else."""
    digits = "".join(ch for ch in cpf if ch.isdigit())
    if len(digits) != 11:
        return "***"
    return f"***.{digits[3:6]}.{digits[6:9]}-**"


def _when(text: str | None) -> str:
    return datetime.fromisoformat(text).strftime("%d/%m/%Y %H:%M:%S") if text else ""


def qr_png(url: str) -> bytes:
    """The QR code of ``url`` as a PNG (error correction M, 4 pixels a module, border 4)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=4,
                         border=4)
    code.add_data(url)
    out = io.BytesIO()
    code.make_image().save(out)
    return out.getvalue()


def _items(inf: etree._Element) -> str:
    rows = []
    for det in inf.findall("n:det", N):
        prod = det.find("n:prod", N)
        text = {name: prod.findtext(f"n:{name}", namespaces=N) or "" for name in (
            "cProd", "xProd", "qCom", "uCom", "vUnCom", "vProd")}
        rows.append(f"<tr><td>{escape(det.get('nItem', ''))}</td><td>{escape(text['xProd'])}"
                    f"<br><small>{escape(text['cProd'])}</small></td>"
                    f"<td class=\"r\">{escape(_quantity(text['qCom']))} {escape(text['uCom'])}"
                    f"</td><td class=\"r\">{_brl(text['vUnCom'])}</td>"
                    f"<td class=\"r\">{_brl(text['vProd'])}</td></tr>")
    return ("<table><tr><th>#</th><th>Descrição</th><th class=\"r\">Qtde</th>"
            "<th class=\"r\">Vl. unit.</th><th class=\"r\">Vl. total</th></tr>"
            + "".join(rows) + "</table>")


def _totals(inf: etree._Element) -> str:
    total = inf.find("n:total/n:ICMSTot", N)
    count = len(inf.findall("n:det", N))
    rows = [("Qtde. total de itens", str(count)), ("Valor total R$", _brl(
        total.findtext("n:vProd", namespaces=N)))]
    for tag, label in (("vDesc", "Descontos R$"), ("vOutro", "Acréscimos R$")):
        if Decimal(total.findtext(f"n:{tag}", namespaces=N) or "0"):
            rows.append((label, _brl(total.findtext(f"n:{tag}", namespaces=N))))
    rows.append(("<b>Valor a pagar R$</b>",
                 f"<b>{_brl(total.findtext('n:vNF', namespaces=N))}</b>"))
    rows.append(("<b>Forma de pagamento</b>", "<b>Valor pago R$</b>"))
    for pag in inf.findall("n:pag/n:detPag", N):
        kind = pag.findtext("n:tPag", namespaces=N) or "99"
        rows.append((escape(TENDER_NAMES.get(kind, "Outros")),
                     _brl(pag.findtext("n:vPag", namespaces=N))))
    change = inf.findtext("n:pag/n:vTroco", namespaces=N)
    if change and Decimal(change):
        rows.append(("Troco R$", _brl(change)))
    return "<table>" + "".join(f"<tr><td>{label}</td><td class=\"r\">{value}</td></tr>"
                               for label, value in rows) + "</table>"


def _protocol_date(meta: dict[str, Any]) -> str | None:
    xml = meta.get("protocol_xml")
    if not xml:
        return None
    return etree.fromstring(xml.encode()).findtext(".//n:dhRecbto", namespaces=N)


def distributed_xml(row: Any) -> str:
    """The note's XML as it is handed out: the signed NFe, within an ``nfeProc`` with its
    protocol once authorised."""
    protocol = (row.metadata or {}).get("protocol_xml")
    body = (f'<nfeProc xmlns="{NFE}" versao="4.00">{row.xml}{protocol}</nfeProc>'
            if protocol else row.xml)
    return f'<?xml version="1.0" encoding="UTF-8"?>{body}'


def danfe_html(row: Any, qr_src: str | None = None) -> str:
    """The DANFE NFC-e of ``row`` (a fiscal document with its XML) as a whole HTML page; the QR
    code's image is ``qr_src`` (an e-mail's ``cid:``), or its PNG in a data URI."""
    root = etree.fromstring(row.xml.encode())
    inf = root.find("n:infNFe", N)
    ide, emit = inf.find("n:ide", N), inf.find("n:emit", N)
    address = emit.find("n:enderEmit", N)
    t = {name: ide.findtext(f"n:{name}", namespaces=N) or "" for name in (
        "nNF", "serie", "dhEmi", "tpEmis", "tpAmb")}
    qr_url = root.findtext("n:infNFeSupl/n:qrCode", namespaces=N) or ""
    consult = root.findtext("n:infNFeSupl/n:urlChave", namespaces=N) or ""
    street = ", ".join(x for x in (
        address.findtext(f"n:{tag}", namespaces=N) for tag in (
            "xLgr", "nro", "xBairro", "xMun", "UF")) if x)
    parts = [
        f"<h1>{escape(emit.findtext('n:xNome', namespaces=N) or '')}</h1>",
        f"<p class=\"c\">CNPJ {escape(_cnpj(emit.findtext('n:CNPJ', namespaces=N) or ''))}"
        f" · IE {escape(emit.findtext('n:IE', namespaces=N) or '')}</p>",
        f"<p class=\"c\">{escape(street)}</p><hr>",
        "<p class=\"c b\">Documento Auxiliar da Nota Fiscal de Consumidor Eletrônica</p>"]
    if t["tpAmb"] == "2":
        parts.append("<div class=\"banner\">EMITIDA EM AMBIENTE DE HOMOLOGAÇÃO - SEM VALOR "
                     "FISCAL</div>")
    if t["tpEmis"] == "9":
        pending = "" if row.protocol else "<br>Pendente de autorização"
        parts.append(f"<div class=\"banner\">EMITIDA EM CONTINGÊNCIA{pending}</div>")
    parts += [_items(inf), _totals(inf), "<hr>",
              "<p class=\"c b\">Consulte pela Chave de Acesso em</p>",
              f"<p class=\"c\">{escape(consult)}</p>",
              "".join(f"<p class=\"key\">{escape(line)}</p>"
                      for line in key_lines(row.access_key)), "<hr>"]
    cpf = inf.findtext("n:dest/n:CPF", namespaces=N)
    parts.append(f"<p class=\"c\">CONSUMIDOR - CPF {escape(masked_cpf(cpf))}</p>" if cpf
                 else "<p class=\"c\">CONSUMIDOR NÃO IDENTIFICADO</p>")
    parts.append(f"<p class=\"c\">NFC-e nº {escape(t['nNF'].zfill(9))} Série "
                 f"{escape(t['serie'].zfill(3))} {escape(_when(t['dhEmi']))}</p>")
    if row.protocol:
        received = _protocol_date(row.metadata or {})
        parts.append(f"<p class=\"c\">Protocolo de autorização: {escape(row.protocol)}</p>")
        if received:
            parts.append(f"<p class=\"c\">Data de autorização: {escape(_when(received))}</p>")
    if qr_url:
        if qr_src is None:
            qr_src = "data:image/png;base64," + base64.b64encode(qr_png(qr_url)).decode()
        parts.append(f"<div class=\"qr\"><img alt=\"QR Code da NFC-e\" "
                     f"src=\"{escape(qr_src)}\"></div>")
    extra = inf.findtext("n:infAdic/n:infCpl", namespaces=N)
    if extra:
        parts.append(f"<p class=\"c\">{escape(extra)}</p>")
    title = f"NFC-e {t['nNF']} - {emit.findtext('n:xNome', namespaces=N) or ''}"
    return ("<!DOCTYPE html><html lang=\"pt-BR\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
            f"<body><div class=\"danfe\">{''.join(parts)}</div></body></html>")
