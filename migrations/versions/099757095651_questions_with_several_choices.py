"""questions with several choices: a proposal may be a question (no article), and its
vote keeps the choices' words

Revision ID: 099757095651
Revises: 4bd6806ba0f8
Create Date: 2026-12-06 05:02:07.104447

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '099757095651'
down_revision = '4bd6806ba0f8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.add_column(sa.Column('labels', sa.JSON(), nullable=True))

    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_proposal_article'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_proposal_article'), "change IN ('create', 'question') OR article_id IS NOT NULL"
        )


def downgrade():
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_proposal_article'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_proposal_article'), "change = 'create' OR article_id IS NOT NULL"
        )

    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.drop_column('labels')
