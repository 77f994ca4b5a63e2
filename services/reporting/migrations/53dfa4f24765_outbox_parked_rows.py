"""outbox parked rows

Revision ID: 53dfa4f24765
Revises: 8ecb08ed6ebe
Create Date: 2026-12-07 00:14:16.339234
"""

from collections.abc import Sequence

from alembic import op

from services.runtime import outbox


revision: str = '53dfa4f24765'
down_revision: str | None = '8ecb08ed6ebe'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        outbox.add_parking_columns(batch_op)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        outbox.drop_parking_columns(batch_op)
