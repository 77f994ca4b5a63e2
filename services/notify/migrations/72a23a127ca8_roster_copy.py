"""roster copy

The units' rosters as roster.published says them (services.runtime.rosters), so that a
roster event moves the reminders of exactly the entries it replaced. Empty at first: entries
from before are learnt from the next events.

Revision ID: 72a23a127ca8
Revises: d94d9e466754
Create Date: 2026-12-07 00:15:16.413598
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '72a23a127ca8'
down_revision: str | None = 'd94d9e466754'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('roster_chunks',
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=False),
    sa.Column('revision', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('chunk', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'unit_id', 'revision', 'chunk')
    )
    op.create_table('roster_days',
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('mode', sa.String(length=3), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=True),
    sa.Column('revision', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'nip', 'day')
    )
    with op.batch_alter_table('roster_days', schema=None) as batch_op:
        batch_op.create_index('ix_roster_days_unit', ['tenant', 'unit_id', 'day'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('roster_days', schema=None) as batch_op:
        batch_op.drop_index('ix_roster_days_unit')

    op.drop_table('roster_days')
    op.drop_table('roster_chunks')
