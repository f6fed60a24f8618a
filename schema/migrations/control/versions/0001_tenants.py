"""the tenant registry

Revision ID: c0001
Revises:
"""

from alembic import op
import sqlalchemy as sa
import posmodern.schema.types

revision = "c0001"
down_revision = None
branch_labels = None
depends_on = None


def _schema() -> str | None:
    # SQLite keeps the control tables in the main file's own schema.
    return None if op.get_bind().dialect.name == "sqlite" else "pos_modern"


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("client_id", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("schema_name", sa.String(length=63), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
        sa.Column("created_at", posmodern.schema.types.UTCDateTime(timezone=True),
                  server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name="pk_tenants"),
        sa.UniqueConstraint("schema_name", name="uq_tenants_schema_name"),
        schema=_schema(),
    )


def downgrade() -> None:
    op.drop_table("tenants", schema=_schema())
