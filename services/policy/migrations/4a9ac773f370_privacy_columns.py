"""privacy columns

Revision ID: 4a9ac773f370
Revises: 051dd4cdc29c
Create Date: 2026-12-07 03:20:41.738310
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '4a9ac773f370'
down_revision: str | None = '051dd4cdc29c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inactive_since', sa.Date(), nullable=True))
    # Employees already inactive: retention counts from the upgrade (when they left is not known).
    op.execute(sa.text("UPDATE employees SET inactive_since = CURRENT_DATE WHERE active = false"))

    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('retention')

    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.drop_column('inactive_since')
