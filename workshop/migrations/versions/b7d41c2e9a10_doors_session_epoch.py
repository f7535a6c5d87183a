"""doors: facilitator session epoch (logout and new passwords end earlier sessions)

Revision ID: b7d41c2e9a10
Revises: 0163ff39d944
Create Date: 2026-11-30 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'b7d41c2e9a10'
down_revision = '0163ff39d944'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('facilitator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('facilitator', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
