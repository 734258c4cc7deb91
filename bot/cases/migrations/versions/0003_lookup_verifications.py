"""Server-side proof of a successful case lookup (table ``lookup_verifications``).

One row per successful lookup: keyed hashes of the conversation and the case number, when it was
made and when the status answer used it (once). ``action_show_case_status`` shows a case only
for a fresh, unused row of its own conversation.

Revision ID: 0003_lookup_verifications
Revises: 0002_feedback_topic_stats
Create Date: 2026-12-02

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from bot.cases.models import UTCDateTime

revision: str = "0003_lookup_verifications"
down_revision: Union[str, None] = "0002_feedback_topic_stats"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "lookup_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_hash", sa.String(length=64), nullable=False),
        sa.Column("case_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lookup_verifications")),
    )
    op.create_index(
        "ix_lookup_verifications_subject", "lookup_verifications",
        ["conversation_hash", "case_hash"], unique=False,
    )
    op.create_index(
        op.f("ix_lookup_verifications_created_at"), "lookup_verifications", ["created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_lookup_verifications_created_at"), table_name="lookup_verifications")
    op.drop_index("ix_lookup_verifications_subject", table_name="lookup_verifications")
    op.drop_table("lookup_verifications")
