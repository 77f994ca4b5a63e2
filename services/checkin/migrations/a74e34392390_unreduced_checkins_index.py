"""unreduced checkins index: what retention has still to reduce, oldest first

Revision ID: a74e34392390
Revises: 0af20f5c2dc9
Create Date: 2026-12-07 03:25:49.768263
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a74e34392390'
down_revision: str | None = '0af20f5c2dc9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index('ix_checkins_unreduced', ['tenant', 'captured_at'], unique=False,
                              postgresql_where=sa.text('reduced_at IS NULL'),
                              sqlite_where=sa.text('reduced_at IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index('ix_checkins_unreduced')
