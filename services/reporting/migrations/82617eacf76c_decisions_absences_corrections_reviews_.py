"""decisions: absences, corrections, reviews, tenant calendar

Revision ID: 82617eacf76c
Revises: 34403a7163cc
Create Date: 2026-12-07 06:24:12.345782
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '82617eacf76c'
down_revision: str | None = '34403a7163cc'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('absences',
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('absence_id', sa.String(length=36), nullable=False),
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('cancelled_from', sa.Date(), nullable=True),
    sa.Column('excused_start', sa.Date(), nullable=True),
    sa.Column('excused_end', sa.Date(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'absence_id')
    )
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.create_index('ix_absences_nip', ['tenant', 'nip', 'excused_start'], unique=False)

    op.create_table('corrections',
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('correction_id', sa.String(length=36), nullable=False),
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=True),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('window_id', sa.String(length=40), nullable=False),
    sa.Column('contested', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'correction_id')
    )
    with op.batch_alter_table('corrections', schema=None) as batch_op:
        batch_op.create_index('ix_corrections_window', ['tenant', 'local_date', 'window_id'], unique=False)

    op.create_table('reviews',
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('checkin_id', sa.String(length=36), nullable=False),
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('window_id', sa.String(length=40), nullable=True),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'checkin_id')
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index('ix_reviews_window', ['tenant', 'local_date', 'window_id'], unique=False)

    with op.batch_alter_table('expectations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('absence_kind', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('original_status', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('original_late_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('original_outside_geofence', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('corrected_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revised_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('monthly_scores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('excused', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('revised_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar', sa.JSON(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('calendar')

    with op.batch_alter_table('monthly_scores', schema=None) as batch_op:
        batch_op.drop_column('revised_at')
        batch_op.drop_column('excused')

    with op.batch_alter_table('expectations', schema=None) as batch_op:
        batch_op.drop_column('revised_at')
        batch_op.drop_column('corrected_at')
        batch_op.drop_column('original_outside_geofence')
        batch_op.drop_column('original_late_minutes')
        batch_op.drop_column('original_status')
        batch_op.drop_column('absence_kind')

    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_reviews_window')

    op.drop_table('reviews')
    with op.batch_alter_table('corrections', schema=None) as batch_op:
        batch_op.drop_index('ix_corrections_window')

    op.drop_table('corrections')
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.drop_index('ix_absences_nip')

    op.drop_table('absences')
