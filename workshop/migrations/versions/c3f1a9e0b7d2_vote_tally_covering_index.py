"""vote: covering index for the board's vote totals (one flush per 100 ms while a room votes)

Revision ID: c3f1a9e0b7d2
Revises: a17c0d5e9b21
Create Date: 2026-12-06 18:30:00
"""
from alembic import op


revision = 'c3f1a9e0b7d2'
down_revision = 'a17c0d5e9b21'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_vote_tally', 'vote', ['seance_id', 'participant_id', 'need_id', 'dots'])


def downgrade() -> None:
    op.drop_index('ix_vote_tally', table_name='vote')
