"""outbox parked rows

Revision ID: 7e27acb4cbd5
Revises: 5b1f0c9e7a21
Create Date: 2026-12-07 00:14:14.001447
"""

from collections.abc import Sequence

from alembic import op

from services.runtime import outbox


revision: str = '7e27acb4cbd5'
down_revision: str | None = '5b1f0c9e7a21'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        outbox.add_parking_columns(batch_op)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        outbox.drop_parking_columns(batch_op)
