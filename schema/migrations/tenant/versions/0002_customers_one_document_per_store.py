"""customers: one document per store, enforced by a unique index on (store_id, document_hash)

The customers plugin checked before inserting, so two requests at once could both pass the check;
the index makes the second one fail. It also serves every lookup by document (always within a
store), so it replaces the index on document_hash alone.

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _refuse_duplicates() -> None:
    """Stop with the customers to merge when the race already happened (the index would fail)."""
    bind = op.get_bind()
    customers = sa.table('customers', sa.column('customer_id', sa.Uuid()), sa.column('store_id'),
                         sa.column('document_hash'))
    clashing = (sa.select(customers.c.store_id, customers.c.document_hash)
                .where(customers.c.document_hash.is_not(None))
                .group_by(customers.c.store_id, customers.c.document_hash)
                .having(sa.func.count() > 1).subquery())
    rows = bind.execute(
        sa.select(customers.c.store_id, customers.c.customer_id)
        .join(clashing, sa.and_(customers.c.store_id == clashing.c.store_id,
                                customers.c.document_hash == clashing.c.document_hash))
        .order_by(customers.c.store_id, customers.c.document_hash, customers.c.customer_id)
    ).all()
    if rows:
        where = (bind.scalar(sa.text('SELECT current_schema()'))
                 if bind.dialect.name == 'postgresql' else bind.engine.url.database)
        listed = ', '.join(f'{row.store_id}: {row.customer_id}' for row in rows)
        raise RuntimeError(
            f'{where}: customers share one CPF/CNPJ in a store ({listed}); merge them or change '
            'their documents (PATCH /api/v1/customers/{id}), then migrate again')


def upgrade() -> None:
    _refuse_duplicates()
    op.drop_index('idx_customers_document', table_name='customers')
    op.create_index('idx_customers_store_document', 'customers', ['store_id', 'document_hash'],
                    unique=True)


def downgrade() -> None:
    op.drop_index('idx_customers_store_document', table_name='customers')
    op.create_index('idx_customers_document', 'customers', ['document_hash'], unique=False)
