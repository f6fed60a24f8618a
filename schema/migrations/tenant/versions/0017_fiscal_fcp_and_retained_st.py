"""fiscal products: the FCP rate (pFCP) of CST 00 and 20; the ICMS-ST retained before and the
effective ICMS of CST 60 and CSOSN 500 (per unit and rates)

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

RATES = ('fcp_rate', 'st_rate', 'effective_base_reduction', 'effective_icms_rate')
PER_UNIT = ('st_retained_base', 'st_substitute_icms', 'st_retained_icms')


def upgrade() -> None:
    with op.batch_alter_table('fiscal_products') as batch:
        for name in RATES:
            batch.add_column(sa.Column(
                name, posmodern.schema.types.Quantity(precision=7, scale=4), nullable=True))
        for name in PER_UNIT:
            batch.add_column(sa.Column(
                name, posmodern.schema.types.Quantity(precision=14, scale=4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('fiscal_products') as batch:
        for name in reversed(RATES + PER_UNIT):
            batch.drop_column(name)
