"""fiscal products: the FCP rate (Fundo de Combate à Pobreza, pFCP) of CST 00 and 20

Revision ID: 0017
Revises: 0016
"""

from alembic import op
import sqlalchemy as sa

import posmodern.schema.types


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fiscal_products') as batch:
        batch.add_column(sa.Column(
            'fcp_rate', posmodern.schema.types.Quantity(precision=7, scale=4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('fiscal_products') as batch:
        batch.drop_column('fcp_rate')
