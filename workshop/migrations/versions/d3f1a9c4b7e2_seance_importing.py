"""séance being imported (issue 13: the JSON re-import written in slices)

Seance.importing: true while a JSON export is re-created in slices; nobody sees or joins it
until its last slice is written.

Revision ID: d3f1a9c4b7e2
Revises: d41e8b7c2f05
Create Date: 2026-12-06 18:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'd3f1a9c4b7e2'
down_revision = 'd41e8b7c2f05'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('seance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('importing', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('seance', schema=None) as batch_op:
        batch_op.drop_column('importing')
