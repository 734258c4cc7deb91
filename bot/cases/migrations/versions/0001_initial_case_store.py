"""Initial case store: contact persons, cases, case events, lookup bookkeeping.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-23

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from bot.cases.models import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "0001_initial"
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "contact_persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_persons")),
        sa.UniqueConstraint("name", "phone", "email", name="uq_contact_persons_identity"),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.String(length=32), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("municipality", sa.String(length=64), nullable=False),
        sa.Column("law", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact_persons.id"],
            name=op.f("fk_cases_contact_id_contact_persons"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("case_number", name=op.f("uq_cases_case_number")),
    )
    op.create_index(op.f("ix_cases_contact_id"), "cases", ["contact_id"], unique=False)
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    op.create_index(op.f("ix_case_events_case_id"), "case_events", ["case_id"], unique=False)
    op.create_table(
        "lookup_subjects",
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("subject_kind", "subject_hash", name=op.f("pk_lookup_subjects")),
    )
    op.create_index(
        op.f("ix_lookup_subjects_last_attempt_at"), "lookup_subjects", ["last_attempt_at"], unique=False
    )
    op.create_table(
        "lookup_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lookup_attempts")),
    )
    op.create_index(
        "ix_lookup_attempts_subject",
        "lookup_attempts",
        ["subject_kind", "subject_hash", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lookup_attempts_created_at"), "lookup_attempts", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_lookup_attempts_created_at"), table_name="lookup_attempts")
    op.drop_index("ix_lookup_attempts_subject", table_name="lookup_attempts")
    op.drop_table("lookup_attempts")
    op.drop_index(op.f("ix_lookup_subjects_last_attempt_at"), table_name="lookup_subjects")
    op.drop_table("lookup_subjects")
    op.drop_index(op.f("ix_case_events_case_id"), table_name="case_events")
    op.drop_table("case_events")
    op.drop_index(op.f("ix_cases_contact_id"), table_name="cases")
    op.drop_table("cases")
    op.drop_table("contact_persons")
