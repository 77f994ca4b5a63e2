"""privacy reads: the location access log (append-only on PostgreSQL) and profile corrections

Revision ID: 98278316b0fd
Revises: 4a9ac773f370
Create Date: 2026-12-07 03:24:58.812082
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '98278316b0fd'
down_revision: str | None = '4a9ac773f370'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The access log is append-only: no UPDATE, no TRUNCATE, and a DELETE only in a transaction that said
# SET LOCAL hadir.retention = 'on' (services/policy/access_log.py, reduce_expired). SQLite: no trigger.
APPEND_ONLY = """
CREATE FUNCTION location_reads_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('hadir.retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'location_reads is append-only: % refused (deletes only by the retention job)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
TRIGGERS = (
    "CREATE TRIGGER location_reads_append_only BEFORE UPDATE OR DELETE ON location_reads "
    "FOR EACH ROW EXECUTE FUNCTION location_reads_append_only()",
    "CREATE TRIGGER location_reads_no_truncate BEFORE TRUNCATE ON location_reads "
    "FOR EACH STATEMENT EXECUTE FUNCTION location_reads_append_only()",
)


def upgrade() -> None:
    op.create_table('location_reads',
    sa.Column('read_id', sa.Uuid(), nullable=False),
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('employee_id', sa.String(length=18), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('actor_nip', sa.String(length=200), nullable=True),
    sa.Column('actor_roles', sa.JSON(), nullable=False),
    sa.Column('purpose', sa.String(length=500), nullable=False),
    sa.Column('endpoint', sa.String(length=300), nullable=False),
    sa.Column('data', sa.String(length=20), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('read_id')
    )
    with op.batch_alter_table('location_reads', schema=None) as batch_op:
        batch_op.create_index('ix_location_reads_at', ['tenant', 'at'], unique=False)
        batch_op.create_index('ix_location_reads_employee', ['tenant', 'employee_id', 'at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(sa.text(APPEND_ONLY))
        for trigger in TRIGGERS:
            op.execute(sa.text(trigger))

    op.create_table('profile_corrections',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('employee_id', sa.String(length=18), nullable=False),
    sa.Column('field', sa.String(length=20), nullable=False),
    sa.Column('old_value', sa.String(length=320), nullable=True),
    sa.Column('new_value', sa.String(length=320), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('profile_corrections', schema=None) as batch_op:
        batch_op.create_index('ix_profile_corrections_employee', ['tenant', 'employee_id', 'requested_at'], unique=False)
        batch_op.create_index('ix_profile_corrections_status', ['tenant', 'status', 'requested_at'], unique=False)
        batch_op.create_index('ux_profile_corrections_pending', ['tenant', 'employee_id', 'field'], unique=True, postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))



def downgrade() -> None:
    with op.batch_alter_table('profile_corrections', schema=None) as batch_op:
        batch_op.drop_index('ux_profile_corrections_pending', postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
        batch_op.drop_index('ix_profile_corrections_status')
        batch_op.drop_index('ix_profile_corrections_employee')

    op.drop_table('profile_corrections')
    with op.batch_alter_table('location_reads', schema=None) as batch_op:
        batch_op.drop_index('ix_location_reads_employee')
        batch_op.drop_index('ix_location_reads_at')

    op.drop_table('location_reads')  # its triggers go with it
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(sa.text('DROP FUNCTION location_reads_append_only()'))
