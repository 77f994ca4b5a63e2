"""bkd reviews: unit month closings, sampling, sign-off reviews, evaluated place

Revision ID: 34403a7163cc
Revises: 804a17c4e8fd
Create Date: 2026-12-07 06:23:25.766746
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '34403a7163cc'
down_revision: str | None = '804a17c4e8fd'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sample_marks',
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('checkin_id', sa.String(length=36), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('result', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('marked_by', sa.String(length=200), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'checkin_id')
    )
    with op.batch_alter_table('sample_marks', schema=None) as batch_op:
        batch_op.create_index('ix_sample_marks_day', ['tenant', 'day'], unique=False)

    op.create_table('sampling_settings',
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('sample_size', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant')
    )
    op.create_table('sign_off_reviews',
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('reviewed_by', sa.String(length=200), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'day', 'unit_id')
    )
    op.create_table('unit_month_closings',
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=False),
    sa.Column('closed_by', sa.String(length=200), nullable=False),
    sa.Column('closed_nip', sa.String(length=18), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('comment', sa.String(length=1000), nullable=True),
    sa.PrimaryKeyConstraint('tenant', 'month', 'unit_id')
    )
    op.create_table('unit_month_comments',
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=False),
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('comment', sa.String(length=1000), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'month', 'unit_id', 'nip')
    )
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('place_kind', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('nearest_place', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('distance_m', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.drop_column('distance_m')
        batch_op.drop_column('nearest_place')
        batch_op.drop_column('place_kind')

    op.drop_table('unit_month_comments')
    op.drop_table('unit_month_closings')
    op.drop_table('sign_off_reviews')
    op.drop_table('sampling_settings')
    with op.batch_alter_table('sample_marks', schema=None) as batch_op:
        batch_op.drop_index('ix_sample_marks_day')

    op.drop_table('sample_marks')
