"""The DANFE NFC-e as HTML, to e-mail: one self-contained page a consumer reads — the store, the
items, totals and tenders, the key in groups of four, the protocol, the CPF masked, the QR code
of the note's URL, and the contingency banner when the note was issued offline."""

import base64
import io
import uuid

import qrcode
from lxml import html
from PIL import Image
from support.api import assert_error
from support.fake_asaas import valid_cpf
from support.fiscal import DOCS, configure, paid_order, wait_document


def _page(api, doc) -> tuple[str, html.HtmlElement]:
    answer = api.get(f"{DOCS}/{doc['document_id']}/danfe.html")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    return answer.text, html.fromstring(answer.text)


def _text(page: html.HtmlElement) -> str:
    """What a reader sees: the body's texts, one space between them."""
    return " ".join(" ".join(part.split()) for part in page.body.itertext() if part.strip())


def _qr_matrix_of_png(src: str) -> list[list[bool]]:
    """Read the PNG's modules (4 px each, border 4) back as dark/light."""
    assert src.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("L")
    size = image.width // 4
    return [[image.getpixel((x * 4 + 2, y * 4 + 2)) < 128 for x in range(size)]
            for y in range(size)]


def _matrix_of(url: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(url)
    code.make()
    return code.get_matrix()


def test_the_danfe_of_an_authorised_note_shows_what_the_consumer_needs(api, menu, sefaz):
    configure(api, {"POS_FISCAL_ENABLED": False,
                    "POS_FISCAL_NAME": "Bar & Grill <b>Zé</b>"})
    order = paid_order(api, menu, ("X-Burger", "2"), ("Guaraná lata", "1"), extra_pay="10")
    cpf = valid_cpf(11)
    made = api.post(DOCS, "cashier", json={"order_id": order["order_id"], "cpf": cpf})
    assert made.status_code == 201, made.text
    [doc] = wait_document(api, order["order_id"], "AUTHORISED")
    raw, page = _page(api, doc)
    text = _text(page)
    # Escaped, never markup: the name reads as typed.
    assert "<b>Zé</b>" not in raw and "Bar &amp; Grill &lt;b&gt;Zé&lt;/b&gt;" in raw
    assert page.findtext(".//h1") == "Bar & Grill <b>Zé</b>"
    assert "CNPJ 11.222.333/0001-81" in text
    assert "Documento Auxiliar da Nota Fiscal de Consumidor Eletrônica" in text
    assert "X-Burger" in text and "Guaraná lata" in text
    total = order["total"].replace(".", ",")
    assert f"Valor a pagar R$ {total}" in text
    assert "Dinheiro" in text and "Troco R$ 10,00" in text
    key = doc["access_key"]
    assert " ".join(key[i:i + 4] for i in range(0, 24, 4)) in text
    assert " ".join(key[i:i + 4] for i in range(24, 44, 4)) in text
    assert f"Protocolo de autorização: {doc['protocol']}" in text
    assert f"NFC-e nº {doc['number']:09d} Série 001" in text
    # The CPF masked: only its middle six digits, nowhere whole.
    assert f"CONSUMIDOR - CPF ***.{cpf[3:6]}.{cpf[6:9]}-**" in text
    assert cpf not in raw
    assert "HOMOLOGAÇÃO - SEM VALOR FISCAL" in text and "CONTINGÊNCIA" not in text
    assert "https://www.homologacao.nfce.fazenda.sp.gov.br/consulta" in text
    # Self-contained: no script, no stylesheet or image to fetch.
    assert not page.xpath("//script|//link|//iframe")
    [image] = page.xpath("//img")
    assert _qr_matrix_of_png(image.get("src")) == _matrix_of(doc["qr_url"])


def test_a_contingency_note_says_so_on_its_danfe(api, menu, sefaz):
    sefaz.silence = 6.0  # longer than POS_FISCAL_TIMEOUT_SECONDS (2 s)
    order = paid_order(api, menu, ("Misto quente", "1"))
    docs = wait_document(api, order["order_id"], "CONTINGENCY")
    [offline] = [d for d in docs if d["status"] == "CONTINGENCY"]
    raw, page = _page(api, offline)
    text = _text(page)
    assert "EMITIDA EM CONTINGÊNCIA Pendente de autorização" in text
    assert "CONSUMIDOR NÃO IDENTIFICADO" in text and "Protocolo" not in text
    [image] = page.xpath("//img")
    assert _qr_matrix_of_png(image.get("src")) == _matrix_of(offline["qr_url"])
    sefaz.silence = 0
    assert_error(api.get(f"{DOCS}/{uuid.uuid4()}/danfe.html"), 404, "document_not_found")
