"""plan pooling across perimeters (issue 17, item 9)

PlanPooling: a facilitator's acceptance of pooling a line below threshold with another
perimeter's séance; withdrawn by status, never deleted.

Revision ID: d41e8b7c2f05
Revises: c3f1a9e0b7d2
Create Date: 2026-12-06 18:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'd41e8b7c2f05'
down_revision = 'c3f1a9e0b7d2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('planpooling',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seance_id', sa.Integer(), nullable=False),
    sa.Column('line_key', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('other_seance_id', sa.Integer(), nullable=False),
    sa.Column('other_line_key', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('accepted_by_id', sa.Integer(), nullable=False),
    sa.Column('accepted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['facilitator.id'], ),
    sa.ForeignKeyConstraint(['other_seance_id'], ['seance.id'], ),
    sa.ForeignKeyConstraint(['seance_id'], ['seance.id'], ),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['facilitator.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('planpooling', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_planpooling_other_seance_id'), ['other_seance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_planpooling_seance_id'), ['seance_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('planpooling', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_planpooling_seance_id'))
        batch_op.drop_index(batch_op.f('ix_planpooling_other_seance_id'))
    op.drop_table('planpooling')
