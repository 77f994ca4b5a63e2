"""outbox parked rows

Revision ID: d94d9e466754
Revises: 6607c20ec86d
Create Date: 2026-12-07 00:14:15.508507
"""

from collections.abc import Sequence

from alembic import op

from services.runtime import outbox


revision: str = 'd94d9e466754'
down_revision: str | None = '6607c20ec86d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        outbox.add_parking_columns(batch_op)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        outbox.drop_parking_columns(batch_op)
