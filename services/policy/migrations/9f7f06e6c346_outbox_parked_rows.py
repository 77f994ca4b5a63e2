"""outbox parked rows

Revision ID: 9f7f06e6c346
Revises: 69562363ae19
Create Date: 2026-12-07 00:14:14.756267
"""

from collections.abc import Sequence

from alembic import op

from services.runtime import outbox


revision: str = '9f7f06e6c346'
down_revision: str | None = '69562363ae19'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        outbox.add_parking_columns(batch_op)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        outbox.drop_parking_columns(batch_op)
