"""sat: the tenders a CF-e was written from, for the receipt printed once the device answers

Revision ID: sat_0002
Revises: sat_0001
"""

from alembic import op
import sqlalchemy as sa

import posmodern.schema.types


revision = "sat_0002"
down_revision = "sat_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sat_documents") as batch:
        batch.add_column(sa.Column("tenders", posmodern.schema.types.JSONDocument(),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sat_documents") as batch:
        batch.drop_column("tenders")
