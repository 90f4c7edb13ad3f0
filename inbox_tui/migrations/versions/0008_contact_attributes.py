"""contact attributes: plan, company, country... per customer (#21)

Revision ID: 0008
Revises: 0012 (the head on main when this was written; the lead re-chains at merge)

Self-contained (one new table), so it can be re-chained after other revisions without
change.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0012"  # note drafts (main's head)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_attribute",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.PrimaryKeyConstraint("contact_id", "name"),
    )
    op.create_index("ix_contact_attribute_name_value", "contact_attribute", ["name", "value"])


def downgrade() -> None:
    op.drop_index("ix_contact_attribute_name_value", table_name="contact_attribute")
    op.drop_table("contact_attribute")
