"""counter: the cashier's shifts (opening float, count at closing) and drawer movements

cash_shifts holds one row per shift of a store's drawer: the float it opened with, and when it
closes what the cashier counted and what the drawer should have held. A partial unique index keeps
at most one shift open per store. cash_movements holds the sangrias (cash taken out) and
suprimentos (cash put in) of a shift.

Revision ID: 0009
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa

import posmodern.schema.types


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'OPEN'")


def _timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, posmodern.schema.types.UTCDateTime(timezone=True), nullable=nullable)


def _money(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, posmodern.schema.types.Money(precision=10, scale=2), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'cash_shifts',
        sa.Column('shift_id', sa.Uuid(), nullable=False),
        sa.Column('client_id', sa.String(length=50), nullable=False),
        sa.Column('store_id', sa.String(length=50), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        _money('opening_amount'),
        sa.Column('opened_by', sa.String(length=100), nullable=False),
        _timestamp('opened_at'),
        _money('counted_amount', nullable=True),
        _money('expected_amount', nullable=True),
        sa.Column('closed_by', sa.String(length=100), nullable=True),
        _timestamp('closed_at', nullable=True),
        sa.Column('notes', sa.Text(), nullable=True),
        sa.Column('created_at', posmodern.schema.types.UTCDateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('updated_at', posmodern.schema.types.UTCDateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.PrimaryKeyConstraint('shift_id', name=op.f('pk_cash_shifts')),
    )
    op.create_index('idx_cash_shifts_store_opened', 'cash_shifts', ['store_id', 'opened_at'],
                    unique=False)
    op.create_index('uq_cash_shifts_open', 'cash_shifts', ['store_id'], unique=True,
                    postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_table(
        'cash_movements',
        sa.Column('movement_id', sa.Uuid(), nullable=False),
        sa.Column('client_id', sa.String(length=50), nullable=False),
        sa.Column('store_id', sa.String(length=50), nullable=False),
        sa.Column('shift_id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        _money('amount'),
        sa.Column('reason', sa.String(length=200), nullable=True),
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('created_at', posmodern.schema.types.UTCDateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.ForeignKeyConstraint(['shift_id'], ['cash_shifts.shift_id'],
                                name=op.f('fk_cash_movements_shift_id')),
        sa.PrimaryKeyConstraint('movement_id', name=op.f('pk_cash_movements')),
    )
    op.create_index('idx_cash_movements_shift', 'cash_movements', ['shift_id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE TRIGGER update_cash_shifts_updated_at BEFORE UPDATE ON cash_shifts "
                   "FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()")


def downgrade() -> None:
    op.drop_index('idx_cash_movements_shift', table_name='cash_movements')
    op.drop_table('cash_movements')
    op.drop_index('uq_cash_shifts_open', table_name='cash_shifts',
                  postgresql_where=OPEN, sqlite_where=OPEN)
    op.drop_index('idx_cash_shifts_store_opened', table_name='cash_shifts')
    op.drop_table('cash_shifts')
