"""reviews of activity reports and video conferences: their current state and every decision; the
verdict's local day on a check-in, the window names of a letter version

Revision ID: 2e2ccb4a565f
Revises: a74e34392390
Create Date: 2026-12-07 06:23:35.786411
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '2e2ccb4a565f'
down_revision: str | None = 'a74e34392390'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('review_decisions',
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('checkin_id', sa.String(length=36), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('by_subject', sa.String(length=200), nullable=False),
    sa.Column('by_nip', sa.String(length=18), nullable=True),
    sa.Column('by_role', sa.String(length=40), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'checkin_id', 'revision')
    )
    op.create_table('reviews',
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('checkin_id', sa.String(length=36), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('by_subject', sa.String(length=200), nullable=False),
    sa.Column('by_nip', sa.String(length=18), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'checkin_id')
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('local_date', sa.Date(), nullable=True))
    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('window_names', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.drop_column('window_names')
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_column('local_date')
    op.drop_table('reviews')
    op.drop_table('review_decisions')
