"""fiscal: NFC-e documents learn their state of transmission; series numbering; product data

The fiscal_documents table was created unused; the fiscal plugin takes it. A document waiting for
data has no number yet; it learns SEFAZ's last answer (status code and reason), the sha256 of its
signed XML, its QR code URL, its attempts and next attempt, and the note it stands in for (a
contingency note). fiscal_series holds the next number of each store's series; fiscal_products
the fiscal data of a product (NCM, CFOP, CST/CSOSN, origin, IBS/CBS class and rates).

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa

import posmodern.schema.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_DOCUMENT_COLUMNS = ('replaces_id', 'next_attempt_at', 'attempts', 'qr_url', 'xml_sha256',
                     'reason', 'status_code')


def _stamps() -> list[sa.Column]:
    return [
        sa.Column('created_at', posmodern.schema.types.UTCDateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('updated_at', posmodern.schema.types.UTCDateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    ]


def _tenant() -> list[sa.Column]:
    return [sa.Column('client_id', sa.String(length=50), nullable=False),
            sa.Column('store_id', sa.String(length=50), nullable=False)]


def _trigger(table: str) -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"CREATE TRIGGER update_{table}_updated_at BEFORE UPDATE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()")


def upgrade() -> None:
    with op.batch_alter_table('fiscal_documents') as batch:
        batch.alter_column('number', existing_type=sa.BigInteger(), nullable=True)
        batch.add_column(sa.Column('status_code', sa.String(length=5), nullable=True))
        batch.add_column(sa.Column('reason', sa.Text(), nullable=True))
        batch.add_column(sa.Column('xml_sha256', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('qr_url', sa.Text(), nullable=True))
        batch.add_column(sa.Column('attempts', sa.Integer(), server_default=sa.text('0'),
                                   nullable=False))
        batch.add_column(sa.Column(
            'next_attempt_at', posmodern.schema.types.UTCDateTime(timezone=True),
            nullable=True))
        batch.add_column(sa.Column('replaces_id', sa.Uuid(), nullable=True))
    op.create_index('idx_fiscal_documents_status', 'fiscal_documents',
                    ['status', 'next_attempt_at'], unique=False)
    op.create_table(
        'fiscal_series',
        sa.Column('series_id', sa.Uuid(), nullable=False),
        *_tenant(),
        sa.Column('model', sa.String(length=2), nullable=False),
        sa.Column('series', sa.Integer(), nullable=False),
        sa.Column('next_number', sa.BigInteger(), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint('series_id', name=op.f('pk_fiscal_series')),
        sa.UniqueConstraint('store_id', 'model', 'series', name='uq_fiscal_series'),
    )
    _trigger('fiscal_series')
    op.create_table(
        'fiscal_products',
        sa.Column('fiscal_product_id', sa.Uuid(), nullable=False),
        *_tenant(),
        sa.Column('product_id', sa.Uuid(), nullable=False),
        sa.Column('ncm', sa.String(length=8), nullable=False),
        sa.Column('cfop', sa.String(length=4), nullable=False),
        sa.Column('cst', sa.String(length=3), nullable=False),
        sa.Column('origin', sa.Integer(), nullable=False),
        sa.Column('cest', sa.String(length=7), nullable=True),
        sa.Column('cst_ibscbs', sa.String(length=3), nullable=False),
        sa.Column('cclass_trib', sa.String(length=6), nullable=False),
        sa.Column('ibs_rate', posmodern.schema.types.Quantity(precision=7, scale=4),
                  nullable=False),
        sa.Column('cbs_rate', posmodern.schema.types.Quantity(precision=7, scale=4),
                  nullable=False),
        *_stamps(),
        sa.ForeignKeyConstraint(['product_id'], ['products.product_id'],
                                name=op.f('fk_fiscal_products_product_id')),
        sa.PrimaryKeyConstraint('fiscal_product_id', name=op.f('pk_fiscal_products')),
        sa.UniqueConstraint('store_id', 'product_id', name='uq_fiscal_products_product'),
    )
    _trigger('fiscal_products')


def downgrade() -> None:
    op.drop_table('fiscal_products')
    op.drop_table('fiscal_series')
    op.drop_index('idx_fiscal_documents_status', table_name='fiscal_documents')
    op.execute(sa.text("DELETE FROM fiscal_documents WHERE number IS NULL"))
    with op.batch_alter_table('fiscal_documents') as batch:
        for column in _DOCUMENT_COLUMNS:
            batch.drop_column(column)
        batch.alter_column('number', existing_type=sa.BigInteger(), nullable=False)
