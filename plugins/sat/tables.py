"""The SAT plugin's own table, as its migrations (``versions/``) build it: one row per CF-e."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, Uuid

from posmodern.schema.types import NOW, JSONDocument, Money, UTCDateTime, utcnow

metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})

sat_documents = Table(
    "sat_documents", metadata,
    Column("document_id", Uuid, primary_key=True),
    Column("client_id", String(50), nullable=False),
    Column("store_id", String(50), nullable=False),
    Column("order_id", Uuid, nullable=False),
    Column("status", String(20), nullable=False),
    # The session number of the device call under way (saved before the call leaves), so a
    # call without an answer is consulted by it instead of selling twice.
    Column("session", Integer),
    Column("attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("next_attempt_at", UTCDateTime()),
    Column("total", Money(), nullable=False),
    Column("sale_xml", Text),                  # the CF-e de venda sent (dadosVenda)
    # The payment's tenders, as ``payment.completed`` gave them: the receipt printed with the
    # extrato once the device answers shows them.
    Column("tenders", JSONDocument()),
    Column("access_key", String(47)),          # "CFe" + 44 digits
    Column("number", Integer),                 # nCFe
    Column("sat_serial", String(9)),           # nserieSAT
    Column("cfe_base64", Text),                # the authorised CF-e, as the device gave it
    Column("cfe_sha256", String(64)),
    Column("qr_signature", Text),              # assinaturaQRCODE
    Column("code", String(5)),                 # EEEEE of the last answer
    Column("sefaz_code", String(10)),          # cod
    Column("message", Text),                   # mensagem (+ mensagemSEFAZ)
    Column("issued_at", UTCDateTime()),        # timeStamp of the authorisation
    Column("cancel_key", String(47)),
    Column("cancel_base64", Text),
    Column("cancelled_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow, server_default=NOW),
    Column("updated_at", UTCDateTime(), nullable=False, default=utcnow, server_default=NOW),
    Index("idx_sat_documents_order", "order_id"),
    Index("idx_sat_documents_due", "status", "next_attempt_at"),
)
