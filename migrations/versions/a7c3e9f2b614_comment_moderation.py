"""comment moderation: the committee hides a comment with a reason

Revision ID: a7c3e9f2b614
Revises: 5d2e8a41c7b3
Create Date: 2026-12-06 17:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9f2b614'
down_revision = '5d2e8a41c7b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('proposal_comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hidden_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('hidden_reason', sa.String(length=300), server_default='', nullable=False)
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_proposal_comment_hidden_by_id_user'), 'user', ['hidden_by_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('proposal_comment', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_proposal_comment_hidden_by_id_user'), type_='foreignkey'
        )
        batch_op.drop_column('hidden_reason')
        batch_op.drop_column('hidden_by_id')
        batch_op.drop_column('hidden_at')
