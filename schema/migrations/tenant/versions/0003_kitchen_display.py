"""kitchen display: stations, ticket rounds and timestamps, and the numbered changes screens replay

kds_stations routes items to stations (by category and product, with a default one) and holds
each station's colour thresholds. kds_tickets gains its round (0 for the order's first ticket at a
station, 1… for items added later, one ticket per order, station and round), the times its
preparation figures come from, an alert (a void or a cancellation not yet acknowledged) and what
the screen prints (details). kds_changes numbers every change of a ticket so a screen that
reconnects with Last-Event-ID replays what it missed.

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa
import posmodern.schema.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kds_stations',
    sa.Column('station_id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.String(length=50), nullable=False),
    sa.Column('store_id', sa.String(length=50), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('is_default', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('category_ids', posmodern.schema.types.JSONDocument(), nullable=False),
    sa.Column('product_ids', posmodern.schema.types.JSONDocument(), nullable=False),
    sa.Column('warn_minutes', sa.Integer(), server_default='8', nullable=False),
    sa.Column('late_minutes', sa.Integer(), server_default='15', nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', posmodern.schema.types.UTCDateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', posmodern.schema.types.UTCDateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.PrimaryKeyConstraint('station_id', name=op.f('pk_kds_stations')),
    sa.UniqueConstraint('store_id', 'code', name='uq_kds_stations_store_code')
    )
    op.create_table('kds_changes',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('store_id', sa.String(length=50), nullable=False),
    sa.Column('station', sa.String(length=50), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('change', sa.String(length=20), nullable=False),
    sa.Column('ticket', posmodern.schema.types.JSONDocument(), nullable=False),
    sa.Column('created_at', posmodern.schema.types.UTCDateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_kds_changes'))
    )
    op.create_index('idx_kds_changes_store_seq', 'kds_changes', ['store_id', 'seq'], unique=False)
    with op.batch_alter_table('kds_tickets') as batch:
        batch.add_column(sa.Column('round', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('started_at', posmodern.schema.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('fired_at', posmodern.schema.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('recalled_at', posmodern.schema.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('alert', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('alert_at', posmodern.schema.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('details', posmodern.schema.types.JSONDocument(), nullable=True))
        batch.create_unique_constraint('uq_kds_tickets_order_station_round',
                                       ['order_id', 'station', 'round'])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TRIGGER update_kds_stations_updated_at BEFORE UPDATE ON kds_stations "
                   "FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS update_kds_stations_updated_at ON kds_stations")
    with op.batch_alter_table('kds_tickets') as batch:
        batch.drop_constraint('uq_kds_tickets_order_station_round', type_='unique')
        for column in ('details', 'alert_at', 'alert', 'recalled_at', 'fired_at', 'started_at', 'round'):
            batch.drop_column(column)
    op.drop_index('idx_kds_changes_store_seq', table_name='kds_changes')
    op.drop_table('kds_changes')
    op.drop_table('kds_stations')
