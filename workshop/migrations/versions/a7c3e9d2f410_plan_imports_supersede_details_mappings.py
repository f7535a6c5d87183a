"""plan imports: superseded and withdrawn imports, details of imported needs, remembered column mappings

Revision ID: a7c3e9d2f410
Revises: ef35f723628a
Create Date: 2026-11-30 09:05:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'a7c3e9d2f410'
down_revision = 'ef35f723628a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('columnmapping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facilitator_id', sa.Integer(), nullable=False),
    sa.Column('shape', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['facilitator_id'], ['facilitator.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('facilitator_id', 'shape')
    )
    with op.batch_alter_table('columnmapping', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_columnmapping_facilitator_id'), ['facilitator_id'], unique=False)

    with op.batch_alter_table('planimport', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('options', sa.JSON(), nullable=False, server_default='{}'))

    with op.batch_alter_table('importedneed', schema=None) as batch_op:
        batch_op.add_column(sa.Column('details', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('superseded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_importedneed_superseded_by_id_planimport', 'planimport',
                                    ['superseded_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('importedneed', schema=None) as batch_op:
        batch_op.drop_constraint('fk_importedneed_superseded_by_id_planimport', type_='foreignkey')
        batch_op.drop_column('superseded_by_id')
        batch_op.drop_column('details')

    with op.batch_alter_table('planimport', schema=None) as batch_op:
        batch_op.drop_column('options')
        batch_op.drop_column('withdrawn_at')

    with op.batch_alter_table('columnmapping', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_columnmapping_facilitator_id'))

    op.drop_table('columnmapping')
