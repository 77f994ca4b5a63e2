"""received watermark marks

Revision ID: 69562363ae19
Revises: 22887ad9d047
Create Date: 2026-12-06 03:39:09.213319
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '69562363ae19'
down_revision: str | None = '22887ad9d047'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('received_marks',
    sa.Column('partition', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('partitions', sa.Integer(), nullable=False),
    sa.Column('accepted_until', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('partition')
    )


def downgrade() -> None:
    op.drop_table('received_marks')
