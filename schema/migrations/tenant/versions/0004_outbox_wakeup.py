"""outbox wake-up: a commit that writes outbox rows notifies the relay (PostgreSQL)

A row trigger on the outbox calls ``pg_notify('posmodern_outbox', <the tenant's schema>)``.
PostgreSQL delivers the notification when the transaction commits (never when it rolls back),
once per transaction and schema however many rows it wrote, to the relay that LISTENs: it learns
which tenant has events to send without reading every tenant's outbox (core/relay.py). The
trigger adds no round trip to the statement that writes the rows. SQLite has no notifications:
its relay sweeps its few tenants.

Revision ID: 0004
Revises: 0003
"""

from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

#: The channel the relay LISTENs on (posmodern.core.relay.WAKEUP_CHANNEL).
CHANNEL = 'posmodern_outbox'


def upgrade() -> None:
    if op.get_context().dialect.name != 'postgresql':
        return
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION outbox_wakeup() RETURNS TRIGGER AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', TG_TABLE_SCHEMA);
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    op.execute('CREATE TRIGGER outbox_wakeup AFTER INSERT ON outbox '
               'FOR EACH ROW EXECUTE FUNCTION outbox_wakeup()')


def downgrade() -> None:
    if op.get_context().dialect.name != 'postgresql':
        return
    op.execute('DROP TRIGGER IF EXISTS outbox_wakeup ON outbox')
    op.execute('DROP FUNCTION IF EXISTS outbox_wakeup()')
