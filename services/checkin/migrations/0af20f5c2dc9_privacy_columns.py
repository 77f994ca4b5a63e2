"""privacy columns

Revision ID: 0af20f5c2dc9
Revises: 7e27acb4cbd5
Create Date: 2026-12-07 03:20:42.534433
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0af20f5c2dc9'
down_revision: str | None = '7e27acb4cbd5'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('place_name', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('reduced_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('directory_employees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inactive_since', sa.Date(), nullable=True))

    with op.batch_alter_table('directory_tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('directory_tenants', schema=None) as batch_op:
        batch_op.drop_column('retention')

    with op.batch_alter_table('directory_employees', schema=None) as batch_op:
        batch_op.drop_column('inactive_since')

    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_column('reduced_at')
        batch_op.drop_column('place_name')
