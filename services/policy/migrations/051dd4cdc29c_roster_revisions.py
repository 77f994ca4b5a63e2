"""roster revisions

Each tenant's latest roster revision, the order of roster.published events
(services.contracts.rules.rosters).

Revision ID: 051dd4cdc29c
Revises: 9f7f06e6c346
Create Date: 2026-12-07 00:14:31.612697
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '051dd4cdc29c'
down_revision: str | None = '9f7f06e6c346'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('roster_revisions',
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('revision', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant')
    )


def downgrade() -> None:
    op.drop_table('roster_revisions')
