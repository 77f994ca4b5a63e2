"""watermark marks and forced closures

Revision ID: 8ecb08ed6ebe
Revises: f43a08be21cf
Create Date: 2026-12-06 03:39:45.295073
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '8ecb08ed6ebe'
down_revision: str | None = 'f43a08be21cf'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('evaluated_marks',
    sa.Column('partition', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('source_partition', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('partitions', sa.Integer(), nullable=False),
    sa.Column('source_partitions', sa.Integer(), nullable=False),
    sa.Column('accepted_until', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('partition', 'source_partition')
    )
    with op.batch_alter_table('window_closures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('forced', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('window_closures', schema=None) as batch_op:
        batch_op.drop_column('forced')

    op.drop_table('evaluated_marks')
