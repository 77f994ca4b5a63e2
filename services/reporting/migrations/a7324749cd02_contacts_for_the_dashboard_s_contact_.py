"""contacts for the dashboard's contact links

Phone numbers from directory.contacts.v1 (compacted; a tombstone deletes the row). The consumer
group has no offsets on that topic yet, so it reads it from the earliest record: the table fills
from what compaction kept, without a backfill.

Revision ID: a7324749cd02
Revises: 82617eacf76c
Create Date: 2026-12-07 15:14:16.667696
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'a7324749cd02'
down_revision: str | None = '82617eacf76c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('contacts',
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'nip')
    )


def downgrade() -> None:
    op.drop_table('contacts')
