"""The DANFE NFC-e e-mailed to the consumer through the store's SMTP server (a real one,
aiosmtpd, on 127.0.0.1): the DANFE page as the message's HTML (its QR code an inline part), the key in the text part, the
note's XML attached; the login the store configured; the address kept nowhere. A store without
SMTP, a note not yet valid, a bad address, an unknown note, a server that refuses or is down:
each a 4xx/5xx in the SPEC's shape."""

from __future__ import annotations

import base64
import email
import email.policy
import re
import uuid

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from support.api import assert_error
from support.fiscal import DOCS, configure, paid_order, wait_document
from support.services import free_port

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])
USER, PASSWORD = "nfce@bar.example", "s3nha-smtp"


class Mailbox:
    """What the SMTP server was handed, and how it answers a recipient."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.logins: list[tuple[str, str]] = []
        self.refuse: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, options):
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        login = (auth_data.login.decode(), auth_data.password.decode())
        self.logins.append(login)
        return AuthResult(success=login == (USER, PASSWORD), handled=False)  # 535 if not


@pytest.fixture
def smtp():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port(),
                            authenticator=box.authenticate, auth_require_tls=False)
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


def _smtp_settings(box: Mailbox, **extra) -> dict:
    return {"POS_FISCAL_SMTP_HOST": "127.0.0.1", "POS_FISCAL_SMTP_PORT": box.port,
            "POS_FISCAL_SMTP_SECURITY": "none", "POS_FISCAL_SMTP_USERNAME": USER,
            "POS_FISCAL_SMTP_PASSWORD": PASSWORD,
            "POS_FISCAL_SMTP_FROM": "Bar do Zé <nfce@bar.example>", **extra}


def _email(api, doc: dict, to: str = "cliente@example.com.br"):
    return api.post(f"{DOCS}/{doc['document_id']}/email", "cashier", json={"to": to})


def test_the_danfe_reaches_the_consumers_mailbox_with_its_xml(api, menu, smtp):
    configure(api, _smtp_settings(smtp, POS_FISCAL_TRADE_NAME="Bar do Zé"))
    order = paid_order(api, menu, ("X-Burger", "2"), ("Guaraná lata", "1"))
    [doc] = wait_document(api, order["order_id"], "AUTHORISED")
    sent = _email(api, doc)
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"document_id": doc["document_id"], "sent": True}
    [(sender, recipients, raw)] = smtp.messages
    assert sender == "nfce@bar.example" and recipients == ["cliente@example.com.br"]
    assert smtp.logins == [(USER, PASSWORD)]
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert mail["Subject"] == f"NFC-e nº {doc['number']:09d} série 001 — Bar do Zé"
    assert mail["To"] == "cliente@example.com.br"
    key = doc["access_key"]
    text = mail.get_body(("plain",)).get_content()
    assert " ".join(key[i:i + 4] for i in range(0, 24, 4)) in text
    assert " ".join(key[i:i + 4] for i in range(24, 44, 4)) in text
    # The body is the DANFE page the API serves, its QR code an inline part (webmail shows
    # no data-URI image); the XML attached is the one the API serves.
    page = api.get(f"{DOCS}/{doc['document_id']}/danfe.html").text
    html = mail.get_body(("html",))
    [image] = [part for part in mail.walk() if part.get_content_type() == "image/png"]
    cid = image["Content-ID"].strip("<>")
    data_uri = re.search(r'src="(data:image/png;base64,[^"]+)"', page).group(1)
    # (line by line: on the wire a message's lines end in CRLF)
    assert html.get_content().splitlines() == page.replace(data_uri, f"cid:{cid}").splitlines()
    assert image.get_content() == base64.b64decode(data_uri.split(",", 1)[1])
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == f"NFCe{key}.xml"
    assert attachment.get_content_type() == "application/xml"
    assert attachment.get_content() == api.get(f"{DOCS}/{doc['document_id']}/xml").content
    assert b"<protNFe" in attachment.get_content()
    # The address is personal data: not kept with the note.
    assert "cliente@example.com.br" not in api.get(f"{DOCS}/{doc['document_id']}").text


def test_what_cannot_be_sent_is_told_and_nothing_leaves(api, menu, smtp):
    order = paid_order(api, menu, ("X-Burger", "1"))
    [doc] = wait_document(api, order["order_id"], "AUTHORISED")
    # No SMTP server for the store yet.
    error = assert_error(_email(api, doc), 409, "email_not_configured")
    assert "POS_FISCAL_SMTP_HOST" in error["message"]
    configure(api, _smtp_settings(smtp))
    # Addresses that are not one, or would add a header or a second recipient.
    for bad in ("cliente", "cliente@", "@example.com", "a@b", "a b@example.com",
                "a@example.com\nBcc: x@example.com", "a@example.com, b@example.com",
                "x" * 250 + "@example.com"):
        assert_error(_email(api, doc, bad), 422)
    assert_error(api.post(f"{DOCS}/{doc['document_id']}/email", "cashier", json={}), 422)
    assert_error(api.post(f"{DOCS}/{doc['document_id']}/email", "cashier",
                          json={"to": 42}), 422)
    assert_error(api.post(f"{DOCS}/{uuid.uuid4()}/email", "cashier",
                          json={"to": "c@example.com"}), 404, "document_not_found")
    assert api.post(f"{DOCS}/{doc['document_id']}/email", "waiter",
                    json={"to": "c@example.com"}).status_code == 403
    # A note still waiting for its products' fiscal data is no DANFE to hand out.
    waiting = paid_order(api, menu, ("Pudim de leite", "1"))
    [pending] = wait_document(api, waiting["order_id"], "PENDING_DATA")
    assert_error(_email(api, pending), 409, "not_sendable")
    # The server refuses the address, the login, or is not there: 502 with its reason.
    smtp.refuse = "550 5.1.1 Mailbox does not exist"
    error = assert_error(_email(api, doc), 502, "email_refused")
    assert "Mailbox does not exist" in error["message"] and error["details"]["smtp_code"] == 550
    smtp.refuse = None
    configure(api, _smtp_settings(smtp, POS_FISCAL_SMTP_PASSWORD="errada"))
    assert_error(_email(api, doc), 502, "email_refused")
    configure(api, _smtp_settings(smtp, POS_FISCAL_SMTP_PORT=free_port()))
    assert_error(_email(api, doc), 502, "email_failed")
    assert smtp.messages == []
