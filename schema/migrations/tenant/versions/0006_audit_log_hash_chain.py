"""audit_log.seq and audit_log.chain_hash: the audit rows in order, each holding the hash of the
previous row's hash and its own content, so a row changed or removed breaks the chain
(`pos audit verify`). Rows from before are chained here, oldest first.

Revision ID: 0006
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa

from posmodern.core.audit_chain import GENESIS, link


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_log') as batch:
        batch.add_column(sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite')))
        batch.add_column(sa.Column('chain_hash', sa.String(64)))
    from posmodern.schema.tables import audit_log
    bind = op.get_bind()
    rows = bind.execute(sa.select(audit_log).order_by(audit_log.c.occurred_at,
                                                      audit_log.c.audit_id)).all()
    previous = GENESIS
    for seq, row in enumerate(rows, start=1):
        content = {**row._mapping, 'seq': seq}
        previous = link(previous, content)
        bind.execute(sa.update(audit_log).where(audit_log.c.audit_id == row.audit_id)
                     .values(seq=seq, chain_hash=previous))
    op.create_index('uq_audit_log_seq', 'audit_log', ['seq'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_audit_log_seq', table_name='audit_log')
    with op.batch_alter_table('audit_log') as batch:
        batch.drop_column('chain_hash')
        batch.drop_column('seq')
