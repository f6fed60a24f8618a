"""remote orders: marketplace orders taken, events handled, actions to send

The remote_orders plugin takes delivery-app orders exactly once (one row per channel and
external id), records each marketplace event it handled (a repeat is recognised), and queues what
our orders did for the marketplace (confirm, start preparation, ready, dispatch, cancellation).

Revision ID: 0012
Revises: 0011
"""

from alembic import op
import sqlalchemy as sa

import posmodern.schema.types


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def _tenant() -> list[sa.Column]:
    return [sa.Column('client_id', sa.String(length=50), nullable=False),
            sa.Column('store_id', sa.String(length=50), nullable=False)]


def _time(name: str, nullable: bool = True, server_default=None) -> sa.Column:
    return sa.Column(name, posmodern.schema.types.UTCDateTime(timezone=True),
                     server_default=server_default, nullable=nullable)


def _created() -> sa.Column:
    return _time('created_at', False, sa.text('CURRENT_TIMESTAMP'))


def upgrade() -> None:
    op.create_table(
        'remote_orders',
        sa.Column('remote_order_id', sa.Uuid(), nullable=False),
        *_tenant(),
        sa.Column('channel', sa.String(length=30), nullable=False),
        sa.Column('external_id', sa.String(length=100), nullable=False),
        sa.Column('merchant_id', sa.String(length=100), nullable=False),
        sa.Column('display_id', sa.String(length=50), nullable=True),
        sa.Column('order_id', sa.Uuid(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('problem', posmodern.schema.types.JSONDocument(), nullable=True),
        _time('scheduled_for'),
        _time('placed_at'),
        _created(),
        _time('updated_at', False, sa.text('CURRENT_TIMESTAMP')),
        sa.PrimaryKeyConstraint('remote_order_id', name=op.f('pk_remote_orders')),
        sa.UniqueConstraint('channel', 'external_id', name='uq_remote_orders_channel_external'),
    )
    op.create_index('idx_remote_orders_order', 'remote_orders', ['order_id'], unique=False)
    op.create_index('idx_remote_orders_store_created', 'remote_orders',
                    ['store_id', 'created_at'], unique=False)
    op.create_table(
        'remote_events',
        sa.Column('channel', sa.String(length=30), nullable=False),
        sa.Column('event_id', sa.String(length=100), nullable=False),
        *_tenant(),
        sa.Column('external_id', sa.String(length=100), nullable=False),
        sa.Column('code', sa.String(length=50), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('payload', posmodern.schema.types.JSONDocument(), nullable=True),
        _time('occurred_at', False),
        _created(),
        sa.PrimaryKeyConstraint('channel', 'event_id', name='pk_remote_events'),
    )
    op.create_index('idx_remote_events_outcome', 'remote_events', ['outcome', 'created_at'],
                    unique=False)
    op.create_table(
        'remote_actions',
        sa.Column('action_id', sa.Uuid(), nullable=False),
        *_tenant(),
        sa.Column('channel', sa.String(length=30), nullable=False),
        sa.Column('external_id', sa.String(length=100), nullable=False),
        sa.Column('merchant_id', sa.String(length=100), nullable=False),
        sa.Column('action', sa.String(length=30), nullable=False),
        sa.Column('reason', posmodern.schema.types.JSONDocument(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        _time('next_attempt_at'),
        _time('sent_at'),
        _created(),
        sa.PrimaryKeyConstraint('action_id', name=op.f('pk_remote_actions')),
        sa.UniqueConstraint('channel', 'external_id', 'action', name='uq_remote_actions_once'),
    )
    op.create_index('idx_remote_actions_pending', 'remote_actions',
                    ['status', 'next_attempt_at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(sa.text(
            "CREATE TRIGGER update_remote_orders_updated_at BEFORE UPDATE ON remote_orders "
            "FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()"))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(sa.text("DROP TRIGGER IF EXISTS update_remote_orders_updated_at ON remote_orders"))
    op.drop_table('remote_actions')
    op.drop_table('remote_events')
    op.drop_table('remote_orders')
