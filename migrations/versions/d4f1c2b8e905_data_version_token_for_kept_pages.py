"""data version: a token changed by every write, for the pages kept in memory

Revision ID: d4f1c2b8e905
Revises: a7c3e9f2b614
Create Date: 2026-12-06 23:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4f1c2b8e905'
down_revision = 'a7c3e9f2b614'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'data_version',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('token', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_version')),
    )
    op.bulk_insert(table, [{'id': 1, 'token': 0}])


def downgrade():
    op.drop_table('data_version')
