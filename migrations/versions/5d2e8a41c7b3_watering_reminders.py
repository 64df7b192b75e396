"""watering reminders

Revision ID: 5d2e8a41c7b3
Revises: 099757095651
Create Date: 2026-12-06 17:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d2e8a41c7b3'
down_revision = '099757095651'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('watering_slot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('watering_slot', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')
