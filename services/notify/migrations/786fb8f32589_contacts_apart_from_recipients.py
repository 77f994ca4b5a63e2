"""contacts apart from recipients

Contact details come from directory.contacts.v1 now (directory.updated.v2 carries none), in any
order with the profiles: they move to a table of their own. What the recipients held is copied
over, so nobody loses a channel until policy publishes their next change.

Revision ID: 786fb8f32589
Revises: 6216eb595b4e
Create Date: 2026-12-07 03:28:42.084559
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '786fb8f32589'
down_revision: str | None = '6216eb595b4e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('contacts',
    sa.Column('tenant', sa.String(length=100), nullable=False),
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('tenant', 'nip')
    )
    op.execute("INSERT INTO contacts (tenant, nip, email, phone) SELECT tenant, nip, email, phone FROM recipients "
               "WHERE email IS NOT NULL OR phone IS NOT NULL")
    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.drop_column('phone')
        batch_op.drop_column('email')


def downgrade() -> None:
    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.VARCHAR(length=320), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.VARCHAR(length=32), nullable=True))
    op.execute("UPDATE recipients SET email = (SELECT c.email FROM contacts c WHERE c.tenant = recipients.tenant "
               "AND c.nip = recipients.nip), phone = (SELECT c.phone FROM contacts c WHERE c.tenant = "
               "recipients.tenant AND c.nip = recipients.nip)")
    op.drop_table('contacts')
