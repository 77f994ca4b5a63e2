"""calendar withdrawals roster jobs

Revision ID: c68721434572
Revises: de52edfebda7
Create Date: 2026-12-07 06:24:00.484368
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c68721434572'
down_revision: str | None = 'de52edfebda7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('roster_job_units',
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=False),
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=True),
    sa.Column('error', sa.JSON(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('job_id', 'unit_id')
    )
    with op.batch_alter_table('roster_job_units', schema=None) as batch_op:
        batch_op.create_index('ix_roster_job_units_pending', ['job_id'], unique=False, postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))

    op.create_table('roster_jobs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('replace_overrides', sa.Boolean(), nullable=False),
    sa.Column('unit_ids', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('units_total', sa.Integer(), nullable=False),
    sa.Column('units_done', sa.Integer(), nullable=False),
    sa.Column('units_failed', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('roster_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_roster_jobs_tenant', ['tenant', 'created_at'], unique=False)

    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_reason', sa.String(length=500), nullable=True))

    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar', sa.JSON(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('calendar')

    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.drop_column('withdrawal_reason')
        batch_op.drop_column('withdrawn_by')
        batch_op.drop_column('withdrawn_at')

    with op.batch_alter_table('roster_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_roster_jobs_tenant')

    op.drop_table('roster_jobs')
    with op.batch_alter_table('roster_job_units', schema=None) as batch_op:
        batch_op.drop_index('ix_roster_job_units_pending', postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))

    op.drop_table('roster_job_units')
