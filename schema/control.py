"""The control tables shared by every tenant: which tenants (clients) exist, and which tenant an
identifier shared with an outside system belongs to (so a webhook finds its tenant from our own
records, never from what the caller says).

On PostgreSQL they live in the ``pos_modern`` schema; on SQLite in the main database file, next
to which each tenant's own file lives.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, MetaData, String, Table

from posmodern.schema.types import NOW, UTCDateTime, utcnow

CONTROL_SCHEMA = "pos_modern"

metadata = MetaData(
    schema=CONTROL_SCHEMA,
    naming_convention={"pk": "pk_%(table_name)s", "uq": "uq_%(table_name)s_%(column_0_N_name)s"},
)

tenants = Table(
    "tenants", metadata,
    Column("client_id", String(50), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("schema_name", String(63), nullable=False, unique=True),
    Column("status", String(20), nullable=False, default="active", server_default="active"),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow, server_default=NOW),
)

tenant_references = Table(
    "tenant_references", metadata,
    # A namespace ("payment", "payment:asaas" …) and an identifier in it: our own reference sent to
    # a provider, or the provider's id of a charge.
    Column("namespace", String(50), primary_key=True),
    Column("reference", String(100), primary_key=True),
    Column("client_id", String(50), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow, server_default=NOW),
    Index("idx_tenant_references_client", "client_id"),
)
