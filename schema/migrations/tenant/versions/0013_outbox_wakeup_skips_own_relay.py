"""outbox wake-up: not sent for commits a running relay already sends

The trigger of 0004 notified the sweeping relay at every commit that wrote outbox rows, also for
commits of a process whose own relay sends them a few milliseconds later (``pos serve``, every
order): PostgreSQL queued and delivered a notification per order, and the sweeping relay woke to
find nothing left to send. A process with a running relay marks its connections with the session
setting ``posmodern.own_relay = 'on'`` (core/db.py); their commits are not announced. Others
(``pos`` commands, scripts, a process without a relay) still are, and a process that dies before
sending what it committed is caught by the sweep (core/relay.py).

Revision ID: 0013
Revises: 0012
"""

from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

#: The channel the relay LISTENs on (posmodern.core.relay.WAKEUP_CHANNEL).
CHANNEL = 'posmodern_outbox'
#: The session setting of a connection whose process relays its own commits
#: (posmodern.core.db.OWN_RELAY_SETTING).
OWN_RELAY = 'posmodern.own_relay'


def _wakeup(body: str) -> str:
    return f"""
        CREATE OR REPLACE FUNCTION outbox_wakeup() RETURNS TRIGGER AS $$
        BEGIN
            {body}
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
        """


def upgrade() -> None:
    if op.get_context().dialect.name != 'postgresql':
        return
    op.execute(_wakeup(
        f"IF current_setting('{OWN_RELAY}', true) IS DISTINCT FROM 'on' THEN "
        f"PERFORM pg_notify('{CHANNEL}', TG_TABLE_SCHEMA); END IF;"))


def downgrade() -> None:
    if op.get_context().dialect.name != 'postgresql':
        return
    op.execute(_wakeup(f"PERFORM pg_notify('{CHANNEL}', TG_TABLE_SCHEMA);"))
