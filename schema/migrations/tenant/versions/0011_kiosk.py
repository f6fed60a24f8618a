"""kiosk: the self-service kiosk's orders (the name to call, eat-in or takeaway, PIX or counter)

Revision ID: 0011
Revises: 0010
"""

from alembic import op
import sqlalchemy as sa

import posmodern.schema.types


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'kiosk_orders',
        sa.Column('kiosk_order_id', sa.Uuid(), nullable=False),
        sa.Column('client_id', sa.String(length=50), nullable=False),
        sa.Column('store_id', sa.String(length=50), nullable=False),
        sa.Column('order_id', sa.Uuid(), nullable=False),
        sa.Column('order_number', sa.String(length=20), nullable=False),
        sa.Column('customer_name', sa.String(length=40), nullable=False),
        sa.Column('service', sa.String(length=10), nullable=False),
        sa.Column('payment', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('total', posmodern.schema.types.Money(), nullable=False),
        sa.Column('payment_id', sa.Uuid(), nullable=True),
        sa.Column('pix', posmodern.schema.types.JSONDocument(), nullable=True),
        sa.Column('expires_at', posmodern.schema.types.UTCDateTime(timezone=True),
                  nullable=True),
        sa.Column('created_at', posmodern.schema.types.UTCDateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('updated_at', posmodern.schema.types.UTCDateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.PrimaryKeyConstraint('kiosk_order_id', name=op.f('pk_kiosk_orders')),
    )
    op.create_index('idx_kiosk_orders_order', 'kiosk_orders', ['order_id'], unique=True)
    op.create_index('idx_kiosk_orders_store_status', 'kiosk_orders',
                    ['store_id', 'status', 'expires_at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE TRIGGER update_kiosk_orders_updated_at BEFORE UPDATE ON kiosk_orders "
                   "FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()")


def downgrade() -> None:
    op.drop_index('idx_kiosk_orders_store_status', table_name='kiosk_orders')
    op.drop_index('idx_kiosk_orders_order', table_name='kiosk_orders')
    op.drop_table('kiosk_orders')
