"""absences, letters and the BKD

Notify's copies of the absences (absence.updated), the letters (policy.updated) and the
tenant's calendar (directory.updated.v2), for the office-day reminders; the highest revision
seen of each absence, correction and review (each state told once); the month an employee was
escalated to the BKD; the tenant's BKD threshold and recipients. The copies are empty at first
and learnt from the next events (until a letter arrives, a day is a working day unless the
tenant's calendar makes it a holiday).

Revision ID: 37f8efebd53b
Revises: 786fb8f32589
Create Date: 2026-12-07 06:25:27.550824
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '37f8efebd53b'
down_revision: str | None = '786fb8f32589'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('absences',
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('cancelled_from', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('tenant', 'id')
    )
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.create_index('ix_absences_employee', ['tenant', 'nip', 'start'], unique=False)

    op.create_table('bkd_escalations',
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'nip', 'month')
    )
    op.create_table('decision_revisions',
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('subject', sa.String(length=20), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'subject', 'id')
    )
    op.create_table('letter_versions',
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('policy_id', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('effective_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'policy_id', 'version')
    )
    with op.batch_alter_table('tenant_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('escalate_bkd_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('bkd_recipients', sa.JSON(), nullable=True))

    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar', sa.JSON(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('calendar')

    with op.batch_alter_table('tenant_settings', schema=None) as batch_op:
        batch_op.drop_column('bkd_recipients')
        batch_op.drop_column('escalate_bkd_days')

    op.drop_table('letter_versions')
    op.drop_table('decision_revisions')
    op.drop_table('bkd_escalations')
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.drop_index('ix_absences_employee')

    op.drop_table('absences')
