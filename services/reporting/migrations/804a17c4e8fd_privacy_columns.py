"""privacy columns

Revision ID: 804a17c4e8fd
Revises: 121560dd753a
Create Date: 2026-12-07 03:20:43.467708
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '804a17c4e8fd'
down_revision: str | None = '121560dd753a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('retention')
