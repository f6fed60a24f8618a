"""waiter: tables are drawn on their layout's floor map (shape, position, size)

A layout already holds its sections and its other elements (walls, the bar, doors) as JSON; a
table, which has a state and orders, is a row of its own and now carries where it is drawn.

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tables') as batch:
        batch.add_column(sa.Column('shape', sa.String(length=10), server_default='square',
                                   nullable=False))
        batch.add_column(sa.Column('pos_x', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('pos_y', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('width', sa.Integer(), server_default='1', nullable=False))
        batch.add_column(sa.Column('height', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('tables') as batch:
        for column in ('height', 'width', 'pos_y', 'pos_x', 'shape'):
            batch.drop_column(column)
