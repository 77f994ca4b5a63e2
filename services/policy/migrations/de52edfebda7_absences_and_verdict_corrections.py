"""absences and verdict corrections

Revision ID: de52edfebda7
Revises: 774c84fe9398
Create Date: 2026-12-07 06:23:18.937222
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'de52edfebda7'
down_revision: str | None = '774c84fe9398'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('absences',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('employee_id', sa.String(length=18), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('attachment_ref', sa.String(length=300), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('needs_bkd', sa.Boolean(), nullable=False),
    sa.Column('place_name', sa.String(length=200), nullable=True),
    sa.Column('place_latitude', sa.Float(), nullable=True),
    sa.Column('place_longitude', sa.Float(), nullable=True),
    sa.Column('place_radius_m', sa.Float(), nullable=True),
    sa.Column('head_by', sa.String(length=200), nullable=True),
    sa.Column('head_nip', sa.String(length=200), nullable=True),
    sa.Column('head_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('head_note', sa.String(length=500), nullable=True),
    sa.Column('bkd_by', sa.String(length=200), nullable=True),
    sa.Column('bkd_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bkd_note', sa.String(length=500), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_from', sa.Date(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.create_index('ix_absences_created', ['tenant', 'created_at'], unique=False)
        batch_op.create_index('ix_absences_employee', ['tenant', 'employee_id', 'start'], unique=False)
        batch_op.create_index('ix_absences_unit', ['tenant', 'unit_id', 'created_at'], unique=False)

    op.create_table('verdict_corrections',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('employee_id', sa.String(length=18), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('window_id', sa.String(length=40), nullable=False),
    sa.Column('checkin_id', sa.Uuid(), nullable=True),
    sa.Column('contested', sa.String(length=20), nullable=False),
    sa.Column('explanation', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_nip', sa.String(length=200), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('verdict_corrections', schema=None) as batch_op:
        batch_op.create_index('ix_verdict_corrections_employee', ['tenant', 'employee_id', 'created_at'], unique=False)
        batch_op.create_index('ix_verdict_corrections_unit', ['tenant', 'unit_id', 'created_at'], unique=False)
        batch_op.create_index('ux_verdict_corrections_open', ['tenant', 'employee_id', 'local_date', 'window_id'], unique=True, postgresql_where=sa.text("status = 'requested'"), sqlite_where=sa.text("status = 'requested'"))



def downgrade() -> None:
    with op.batch_alter_table('verdict_corrections', schema=None) as batch_op:
        batch_op.drop_index('ux_verdict_corrections_open', postgresql_where=sa.text("status = 'requested'"), sqlite_where=sa.text("status = 'requested'"))
        batch_op.drop_index('ix_verdict_corrections_unit')
        batch_op.drop_index('ix_verdict_corrections_employee')

    op.drop_table('verdict_corrections')
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.drop_index('ix_absences_unit')
        batch_op.drop_index('ix_absences_employee')
        batch_op.drop_index('ix_absences_created')

    op.drop_table('absences')
