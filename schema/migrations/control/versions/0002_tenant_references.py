"""tenant references: which tenant an identifier shared with an outside system belongs to

Revision ID: c0002
Revises: c0001
"""

from alembic import op
import sqlalchemy as sa
import posmodern.schema.types

revision = "c0002"
down_revision = "c0001"
branch_labels = None
depends_on = None


def _schema() -> str | None:
    # SQLite keeps the control tables in the main file's own schema.
    return None if op.get_bind().dialect.name == "sqlite" else "pos_modern"


def upgrade() -> None:
    op.create_table(
        "tenant_references",
        sa.Column("namespace", sa.String(length=50), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("client_id", sa.String(length=50), nullable=False),
        sa.Column("created_at", posmodern.schema.types.UTCDateTime(timezone=True),
                  server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
        sa.PrimaryKeyConstraint("namespace", "reference", name="pk_tenant_references"),
        schema=_schema(),
    )
    op.create_index("idx_tenant_references_client", "tenant_references", ["client_id"],
                    unique=False, schema=_schema())


def downgrade() -> None:
    op.drop_index("idx_tenant_references_client", table_name="tenant_references",
                  schema=_schema())
    op.drop_table("tenant_references", schema=_schema())
