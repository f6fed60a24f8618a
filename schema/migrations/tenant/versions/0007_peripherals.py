"""peripherals: printers get a role, paper, profile and backup; print jobs a spool's columns; scales

The printers and print_jobs tables were created unused; the peripherals plugin takes them. A
printer's ``station`` becomes its ``role`` (receipt, bar, or a kitchen station). A print job
learns the role it prints for (so a backup printer can take it), a dedupe key (one ticket per
order, kind and station), when to try again, the lease of the worker printing it, and the job it
reprints. Scales (a Toledo-style serial scale) are new.

Revision ID: 0007
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa

import posmodern.schema.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE printers SET station = 'receipt' WHERE station IS NULL"))
    with op.batch_alter_table('printers') as batch:
        batch.alter_column('station', new_column_name='role', existing_type=sa.String(50),
                           nullable=False)
        batch.add_column(sa.Column('paper_mm', sa.Integer(), server_default='80',
                                   nullable=False))
        batch.add_column(sa.Column('profile', sa.String(length=50), server_default='generic',
                                   nullable=False))
        batch.add_column(sa.Column('backup_printer_id', sa.Uuid(), nullable=True))
    op.create_index('idx_printers_store_role', 'printers', ['store_id', 'role'], unique=False)
    op.execute(sa.text("DELETE FROM print_jobs"))
    with op.batch_alter_table('print_jobs') as batch:
        batch.add_column(sa.Column('role', sa.String(length=50), nullable=False))
        batch.add_column(sa.Column('dedupe_key', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column(
            'next_attempt_at', posmodern.schema.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column(
            'lease_until', posmodern.schema.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('reprint_of', sa.Uuid(), nullable=True))
    op.create_index('idx_print_jobs_printer_status', 'print_jobs', ['printer_id', 'status'],
                    unique=False)
    op.create_index('idx_print_jobs_reference', 'print_jobs', ['reference_id'], unique=False)
    op.create_index('idx_print_jobs_dedupe', 'print_jobs', ['dedupe_key'], unique=True)
    op.create_table(
        'scales',
        sa.Column('scale_id', sa.Uuid(), nullable=False),
        sa.Column('client_id', sa.String(length=50), nullable=False),
        sa.Column('store_id', sa.String(length=50), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('protocol', sa.String(length=30), nullable=False),
        sa.Column('connection', posmodern.schema.types.JSONDocument(), nullable=False),
        sa.Column('created_at', posmodern.schema.types.UTCDateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('updated_at', posmodern.schema.types.UTCDateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.PrimaryKeyConstraint('scale_id', name=op.f('pk_scales')),
    )
    op.create_index('idx_scales_client_store', 'scales', ['client_id', 'store_id'],
                    unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE TRIGGER update_scales_updated_at BEFORE UPDATE ON scales "
                   "FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()")


def downgrade() -> None:
    op.drop_index('idx_scales_client_store', table_name='scales')
    op.drop_table('scales')
    for index in ('idx_print_jobs_dedupe', 'idx_print_jobs_reference',
                  'idx_print_jobs_printer_status'):
        op.drop_index(index, table_name='print_jobs')
    with op.batch_alter_table('print_jobs') as batch:
        for column in ('reprint_of', 'lease_until', 'next_attempt_at', 'dedupe_key', 'role'):
            batch.drop_column(column)
    op.drop_index('idx_printers_store_role', table_name='printers')
    with op.batch_alter_table('printers') as batch:
        for column in ('backup_printer_id', 'profile', 'paper_mm'):
            batch.drop_column(column)
        batch.alter_column('role', new_column_name='station', existing_type=sa.String(50),
                           nullable=True)
