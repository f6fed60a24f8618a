"""fiscal products: the ICMS rates of the regime normal (pICMS of CST 00 and 20, pRedBC of 20)

Revision ID: 0016
Revises: 0014
"""

from alembic import op
import sqlalchemy as sa

import posmodern.schema.types


revision = '0016'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fiscal_products') as batch:
        batch.add_column(sa.Column(
            'icms_rate', posmodern.schema.types.Quantity(precision=7, scale=4), nullable=True))
        batch.add_column(sa.Column(
            'icms_base_reduction', posmodern.schema.types.Quantity(precision=7, scale=4),
            nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('fiscal_products') as batch:
        batch.drop_column('icms_base_reduction')
        batch.drop_column('icms_rate')
