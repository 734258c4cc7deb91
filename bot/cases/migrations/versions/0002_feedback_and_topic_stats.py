"""Feedback and topic counts (issue 6): what was asked, what fell back, what was rated.

Two tables without any user text or sender id:

- ``feedback``: one row per "Had u hier iets aan?" answer (topic, helpful, created_at UTC);
- ``topic_stats``: per UTC day and intent, ``asked`` and ``fell_back`` counters, upserted by the
  event broker ``bot.analytics.TopicStatsEventBroker``.

Revision ID: 0002_feedback_topic_stats
Revises: 0001_initial
Create Date: 2026-11-24

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from bot.cases.models import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "0002_feedback_topic_stats"
down_revision: Union[str, None] = "0001_initial"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    op.create_index(op.f("ix_feedback_created_at"), "feedback", ["created_at"], unique=False)
    op.create_table(
        "topic_stats",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.Column("fell_back", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "topic", name=op.f("pk_topic_stats")),
    )


def downgrade() -> None:
    op.drop_table("topic_stats")
    op.drop_index(op.f("ix_feedback_created_at"), table_name="feedback")
    op.drop_table("feedback")
