"""training kinds, categories and costs (issue 17)

Theme.kind, Theme.cost_per_day and Theme.renewal_days; Need.kind and Need.pool_years (the facilitator's
choices); Demand.category and ImportedNeed.category (A, B, C); Seance.theme_costs.

Revision ID: a17c0d5e9b21
Revises: b7d41c2e9a10
Create Date: 2026-11-30 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'a17c0d5e9b21'
down_revision = 'b7d41c2e9a10'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('theme', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30),
                                      server_default='perfectionnement', nullable=False))
        batch_op.add_column(sa.Column('cost_per_day', sa.Float(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('renewal_days', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True))
        batch_op.add_column(sa.Column('pool_years', sa.Integer(), nullable=True))
    with op.batch_alter_table('demand', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True))
    with op.batch_alter_table('importedneed', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True))
    with op.batch_alter_table('seance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('theme_costs', sa.JSON(), server_default='{}', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('seance', schema=None) as batch_op:
        batch_op.drop_column('theme_costs')
    with op.batch_alter_table('importedneed', schema=None) as batch_op:
        batch_op.drop_column('category')
    with op.batch_alter_table('demand', schema=None) as batch_op:
        batch_op.drop_column('category')
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.drop_column('pool_years')
        batch_op.drop_column('kind')
    with op.batch_alter_table('theme', schema=None) as batch_op:
        batch_op.drop_column('renewal_days')
        batch_op.drop_column('cost_per_day')
        batch_op.drop_column('kind')
