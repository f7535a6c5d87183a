"""doors: phone actions take effect once; the séance's settings revision

PhoneAction remembers the id of each phone action applied (issue 14, item 5);
Seance.revision moves with every change of phase, timer or settings, so a
facilitator page working on a stale state is refused (issue 14, item 6).

Revision ID: d4e8a1f0b3c7
Revises: d3f1a9c4b7e2
Create Date: 2026-12-06 18:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'd4e8a1f0b3c7'
down_revision = 'd3f1a9c4b7e2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'phoneaction',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('action_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('reply', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('participant_id', 'action_id', name='uq_phone_action'),
    )
    with op.batch_alter_table('seance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('seance', schema=None) as batch_op:
        batch_op.drop_column('revision')
    op.drop_table('phoneaction')
