"""roster revisions and chunks

Each roster entry keeps the revision that wrote it, and the chunks of range revisions applied
are recorded (services.runtime.rosters). Entries from before read as revision 0, older than any.

Revision ID: 121560dd753a
Revises: 53dfa4f24765
Create Date: 2026-12-07 00:15:12.129708
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '121560dd753a'
down_revision: str | None = '53dfa4f24765'
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
    with op.batch_alter_table('roster_days', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.BigInteger(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('roster_days', schema=None) as batch_op:
        batch_op.drop_column('revision')

    op.drop_table('roster_chunks')
