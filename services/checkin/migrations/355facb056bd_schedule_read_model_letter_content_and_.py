"""schedule read model: letter content and tenant calendar

Revision ID: 355facb056bd
Revises: 2e2ccb4a565f
Create Date: 2026-12-07 12:50:48.051413
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '355facb056bd'
down_revision: str | None = '2e2ccb4a565f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('directory_tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar', sa.JSON(), nullable=True))

    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.drop_column('content')

    with op.batch_alter_table('directory_tenants', schema=None) as batch_op:
        batch_op.drop_column('calendar')
