"""The DANFE NFC-e by e-mail: the consumer who gives an address at the counter gets the note
there instead of (or besides) on paper. The message carries the DANFE as its HTML body (the
page ``danfe.html`` serves, its QR code an inline image part), a plain-text part with the key and the
consultation address, and the note's XML (with its protocol once authorised) attached.

Sent through the store's SMTP server (``POS_FISCAL_SMTP_*``) in a worker thread, the request
waiting for the server's answer. The address is not stored nor logged (personal data).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from posmodern.core.errors import BadGateway, Conflict, GatewayTimeout
from posmodern.core.peripherals import key_lines
from posmodern.plugins.fiscal import settings as spec
from posmodern.plugins.fiscal.danfe import danfe_html, distributed_xml, qr_png
from posmodern.plugins.fiscal.documents import DocumentStatus

log = logging.getLogger("posmodern.fiscal")
#: How long the SMTP server has for each step (connect, each command) before a 504.
SMTP_TIMEOUT = 20.0
#: The notes whose DANFE may be handed to the consumer (an authorised note, or a contingency
#: note, which is valid as issued until SEFAZ rules on it).
SENDABLE = (DocumentStatus.AUTHORISED, DocumentStatus.CONTINGENCY)


class MailNotConfigured(Conflict):
    code = "email_not_configured"


def message(row: Any, to: str, sender: str, store_name: str) -> EmailMessage:
    """The e-mail of the note ``row`` to ``to``."""
    note = f"NFC-e nº {row.number:09d} série {row.series:03d}"
    mail = EmailMessage()
    mail["Subject"] = f"{note} — {store_name}" if store_name else note
    mail["From"] = sender
    mail["To"] = to
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or None)
    consult = (row.qr_url or "").split("?")[0]
    lines = [f"Sua {note}" + (f", de {store_name}." if store_name else "."),
             "", "Chave de acesso:", *key_lines(row.access_key)]
    if consult:
        lines += ["", f"Consulte pela chave de acesso em {consult}"]
    lines += ["", "O DANFE NFC-e segue no corpo desta mensagem e o XML da nota em anexo."]
    mail.set_content("\n".join(lines))
    if row.qr_url:
        # The QR code as an inline part (cid:): webmail such as Gmail shows no data-URI image.
        qr_id = make_msgid(domain=mail["Message-ID"].rpartition("@")[2].rstrip(">"))
        mail.add_alternative(danfe_html(row, qr_src=f"cid:{qr_id[1:-1]}"), subtype="html")
        mail.get_payload()[1].add_related(qr_png(row.qr_url), "image", "png", cid=qr_id)
    else:
        mail.add_alternative(danfe_html(row), subtype="html")
    mail.add_attachment(distributed_xml(row).encode(), maintype="application", subtype="xml",
                        filename=f"NFCe{row.access_key}.xml")
    return mail


def _send(values: dict[str, Any], mail: EmailMessage) -> None:
    host, port = values[spec.SMTP_HOST.name], values[spec.SMTP_PORT.name]
    security = values[spec.SMTP_SECURITY.name]
    context = ssl.create_default_context()
    if security == "tls":
        server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT,
                                                context=context)
    else:
        server = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
    with server:
        if security == "starttls":
            server.starttls(context=context)
        if values[spec.SMTP_USERNAME.name]:
            server.login(values[spec.SMTP_USERNAME.name], values[spec.SMTP_PASSWORD.name] or "")
        server.send_message(mail)


async def send_danfe(row: Any, to: str, values: dict[str, Any]) -> None:
    """E-mail the DANFE of ``row`` to ``to`` with the store's SMTP settings ``values``."""
    if row.status not in SENDABLE or not row.xml:
        raise Conflict(f"only an authorised or contingency NFC-e is sent to the consumer "
                       f"(this one is {row.status})", code="not_sendable",
                       details={"status": row.status})
    missing = [s.name for s in (spec.SMTP_HOST, spec.SMTP_FROM) if not values[s.name]]
    if missing:
        raise MailNotConfigured("the store has no SMTP server to send e-mail with: set "
                                + ", ".join(missing), details={"missing": missing})
    store_name = values[spec.TRADE_NAME.name] or values[spec.NAME.name] or ""
    mail = message(row, to, values[spec.SMTP_FROM.name], store_name)
    try:
        await asyncio.to_thread(_send, values, mail)
    except (TimeoutError, smtplib.SMTPServerDisconnected) as exc:
        # smtplib reports a reply that did not come in time as a disconnection.
        if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
            raise GatewayTimeout(f"the SMTP server did not answer in time: {exc}",
                                 code="email_timeout") from exc
        raise BadGateway(f"the SMTP server hung up: {exc}", code="email_failed") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        code, reason = next(iter(exc.recipients.values()))
        raise BadGateway(f"the SMTP server refused the address: {code} "
                         f"{reason.decode(errors='replace')}", code="email_refused",
                         details={"smtp_code": code}) from exc
    except smtplib.SMTPResponseException as exc:
        reason = exc.smtp_error.decode(errors="replace") if isinstance(
            exc.smtp_error, bytes) else str(exc.smtp_error)
        raise BadGateway(f"the SMTP server refused the e-mail: {exc.smtp_code} {reason}",
                         code="email_refused",
                         details={"smtp_code": exc.smtp_code}) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise BadGateway(f"the e-mail could not be sent: {exc}", code="email_failed") from exc
    log.info("fiscal: DANFE of NFC-e %s e-mailed", row.access_key)
