"""privacy columns

Revision ID: 6216eb595b4e
Revises: 72a23a127ca8
Create Date: 2026-12-07 03:20:44.332571
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '6216eb595b4e'
down_revision: str | None = '72a23a127ca8'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('retention')
