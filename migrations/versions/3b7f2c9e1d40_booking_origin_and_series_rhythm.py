"""booking origin (person, series, activity) replaces series_id; series every N weeks;
index of a room's bookings by start

Revision ID: 3b7f2c9e1d40
Revises: 8466e8daa2c2
Create Date: 2026-11-25 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '3b7f2c9e1d40'
down_revision = '8466e8daa2c2'
branch_labels = None
depends_on = None

ORIGIN = sa.Enum('person', 'series', 'activity', name='originkind', native_enum=False, length=12)


def upgrade():
    with op.batch_alter_table('booking_series', schema=None) as batch_op:
        batch_op.add_column(sa.Column('every', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_booking_series_every'), 'every BETWEEN 1 AND 52')

    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin_kind', ORIGIN, server_default='person', nullable=False))
        batch_op.add_column(sa.Column('origin_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE booking SET origin_kind = 'series', origin_id = series_id "
        "WHERE series_id IS NOT NULL"
    )
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_series_id'))
        batch_op.drop_constraint(batch_op.f('fk_booking_series_id_booking_series'), type_='foreignkey')
        batch_op.drop_column('series_id')
        batch_op.create_index('ix_booking_origin', ['origin_kind', 'origin_id'], unique=False)
        batch_op.create_index('ix_booking_room_start', ['room_id', 'start_at'], unique=False)


def downgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_room_start')
        batch_op.drop_index('ix_booking_origin')
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE booking SET series_id = origin_id WHERE origin_kind = 'series'"
    )
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f('fk_booking_series_id_booking_series'), 'booking_series', ['series_id'], ['id']
        )
        batch_op.create_index(batch_op.f('ix_booking_series_id'), ['series_id'], unique=False)
        batch_op.drop_column('origin_id')
        batch_op.drop_column('origin_kind')

    with op.batch_alter_table('booking_series', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_booking_series_every'), type_='check')
        batch_op.drop_column('every')
