"""modifier groups: a product's priced options, and the options an order item was sold with

``modifier_groups`` holds a store's groups ("Ponto da carne": choose 1; "Adicionais": 0 to 3),
each with its options and their prices; ``product_modifier_groups`` attaches groups to products,
in the order they are asked. ``order_items.modifiers`` keeps the options chosen, with the names
and prices they were sold at, so an order's history does not change with the menu.

Revision ID: 0014
Revises: 0013
"""

from alembic import op
import sqlalchemy as sa

import posmodern.schema.types


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'modifier_groups',
        sa.Column('modifier_group_id', sa.Uuid(), nullable=False),
        sa.Column('client_id', sa.String(length=50), nullable=False),
        sa.Column('store_id', sa.String(length=50), nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('min_choices', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('max_choices', sa.Integer(), server_default=sa.text('1'), nullable=False),
        sa.Column('options', posmodern.schema.types.JSONDocument(), nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
        sa.Column('created_at', posmodern.schema.types.UTCDateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('updated_at', posmodern.schema.types.UTCDateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.PrimaryKeyConstraint('modifier_group_id', name=op.f('pk_modifier_groups')),
    )
    op.create_index('idx_modifier_groups_store_name', 'modifier_groups',
                    ['store_id', 'name', 'modifier_group_id'], unique=False)
    op.create_table(
        'product_modifier_groups',
        sa.Column('product_id', sa.Uuid(), nullable=False),
        sa.Column('modifier_group_id', sa.Uuid(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['product_id'], ['products.product_id'],
                                name=op.f('fk_product_modifier_groups_product_id'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['modifier_group_id'], ['modifier_groups.modifier_group_id'],
                                name=op.f('fk_product_modifier_groups_modifier_group_id'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('product_id', 'modifier_group_id',
                                name=op.f('pk_product_modifier_groups')),
    )
    op.create_index('idx_product_modifier_groups_group', 'product_modifier_groups',
                    ['modifier_group_id'], unique=False)
    op.add_column('order_items',
                  sa.Column('modifiers', posmodern.schema.types.JSONDocument(), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE TRIGGER update_modifier_groups_updated_at BEFORE UPDATE ON "
                   "modifier_groups FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()")


def downgrade() -> None:
    op.drop_column('order_items', 'modifiers')
    op.drop_index('idx_product_modifier_groups_group', table_name='product_modifier_groups')
    op.drop_table('product_modifier_groups')
    op.drop_index('idx_modifier_groups_store_name', table_name='modifier_groups')
    op.drop_table('modifier_groups')
