"""sat: the CF-e of paid orders

Revision ID: sat_0001
Revises:
Depends on: 0001
"""

from alembic import op
import sqlalchemy as sa
import posmodern.schema.types

revision = "sat_0001"
down_revision = None
branch_labels = ("sat",)
depends_on = "0001"


def upgrade() -> None:
    when = posmodern.schema.types.UTCDateTime(timezone=True)
    op.create_table(
        "sat_documents",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=50), nullable=False),
        sa.Column("store_id", sa.String(length=50), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("session", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", when, nullable=True),
        sa.Column("total", posmodern.schema.types.Money(), nullable=False),
        sa.Column("sale_xml", sa.Text(), nullable=True),
        sa.Column("access_key", sa.String(length=47), nullable=True),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("sat_serial", sa.String(length=9), nullable=True),
        sa.Column("cfe_base64", sa.Text(), nullable=True),
        sa.Column("cfe_sha256", sa.String(length=64), nullable=True),
        sa.Column("qr_signature", sa.Text(), nullable=True),
        sa.Column("code", sa.String(length=5), nullable=True),
        sa.Column("sefaz_code", sa.String(length=10), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("issued_at", when, nullable=True),
        sa.Column("cancel_key", sa.String(length=47), nullable=True),
        sa.Column("cancel_base64", sa.Text(), nullable=True),
        sa.Column("cancelled_at", when, nullable=True),
        sa.Column("created_at", when, server_default=sa.text("CURRENT_TIMESTAMP"),
                  nullable=False),
        sa.Column("updated_at", when, server_default=sa.text("CURRENT_TIMESTAMP"),
                  nullable=False),
        sa.PrimaryKeyConstraint("document_id", name="pk_sat_documents"),
    )
    op.create_index("idx_sat_documents_order", "sat_documents", ["order_id"])
    op.create_index("idx_sat_documents_due", "sat_documents", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("idx_sat_documents_due", table_name="sat_documents")
    op.drop_index("idx_sat_documents_order", table_name="sat_documents")
    op.drop_table("sat_documents")
