"""directory backfill

Revision ID: 774c84fe9398
Revises: 98278316b0fd
Create Date: 2026-12-07 04:21:22.652524
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '774c84fe9398'
down_revision: str | None = '98278316b0fd'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('directory_backfill',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('phase', sa.String(length=20), nullable=False),
    sa.Column('after_tenant', sa.String(length=100), nullable=True),
    sa.Column('after_key', sa.String(length=100), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name')
    )
    # Publish the directory once on directory.updated.v2 and directory.contacts.v1 (policy/backfill.py).
    op.execute(sa.text("INSERT INTO directory_backfill (name, phase) VALUES ('directory.v2', 'tenants')"))


def downgrade() -> None:
    op.drop_table('directory_backfill')
