"""SQLAlchemy models of the case store.

The tables are created by the Alembic migrations only (``migrations/versions``);
a test compares these models with the migrated schema so the two cannot drift.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

#: Constraint names follow one convention so migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
Base: Any = declarative_base(metadata=metadata)

#: Subject kinds of a lookup attempt: the conversation, the case number from one client address,
#: the case number from anywhere, and the client address (see bot/cases/repository.py).
SUBJECT_CONVERSATION = "conversation"
SUBJECT_CASE_CLIENT = "case_client"
SUBJECT_CASE = "case"
SUBJECT_CLIENT = "client"
SUBJECT_KINDS = (SUBJECT_CONVERSATION, SUBJECT_CASE_CLIENT, SUBJECT_CASE, SUBJECT_CLIENT)


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python.

    PostgreSQL stores ``timestamp with time zone``; SQLite has no time zones,
    so there the value is stored as naive UTC text (which sorts correctly) and
    made aware again when read. Naive datetimes are refused on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Dialect) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("timestamps must be timezone-aware")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Optional[datetime], dialect: Dialect) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class ContactPerson(Base):
    """The municipality's contact person for one or more cases."""

    __tablename__ = "contact_persons"
    __table_args__ = (UniqueConstraint("name", "phone", "email", name="uq_contact_persons_identity"),)

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    phone = Column(String(32), nullable=False)
    email = Column(String(254), nullable=False)

    cases = relationship("Case", back_populates="contact")


class Case(Base):
    """One case (*zaak*) of one person at one municipality."""

    __tablename__ = "cases"

    id = Column(Integer, primary_key=True)
    #: Normalised to upper case before it is stored (see ``vocab.normalise_case_number``).
    case_number = Column(String(32), nullable=False, unique=True)
    birth_date = Column(Date, nullable=False)
    municipality = Column(String(64), nullable=False)
    law = Column(String(16), nullable=False)
    status = Column(String(32), nullable=False)
    contact_id = Column(
        Integer, ForeignKey("contact_persons.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    created_at = Column(UTCDateTime, nullable=False, default=utc_now)
    updated_at = Column(UTCDateTime, nullable=False, default=utc_now)

    contact = relationship("ContactPerson", back_populates="cases")
    events = relationship(
        "CaseEvent",
        back_populates="case",
        cascade="all, delete-orphan",
        order_by="(CaseEvent.event_date, CaseEvent.position)",
        passive_deletes=True,
    )


class CaseEvent(Base):
    """A dated step in a case; ``position`` keeps the file order of same-day events."""

    __tablename__ = "case_events"

    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True)
    position = Column(Integer, nullable=False)
    event_date = Column(Date, nullable=False)
    type = Column(String(32), nullable=False)
    note = Column(Text, nullable=False)
    outcome = Column(String(32), nullable=True)

    case = relationship("Case", back_populates="events")


class LookupSubject(Base):
    """Anchor row per looked-up subject, locked (``FOR UPDATE``) during a lookup.

    The row exists so that concurrent lookups of the same conversation or case
    number can be serialised with an ordinary row lock; see ``repository.py``.
    """

    __tablename__ = "lookup_subjects"

    subject_kind = Column(String(16), primary_key=True)
    subject_hash = Column(String(64), primary_key=True)
    last_attempt_at = Column(UTCDateTime, nullable=False, index=True)


class LookupAttempt(Base):
    """One evaluated lookup. ``subject_hash`` is a SHA-256 hex digest, never the raw key."""

    __tablename__ = "lookup_attempts"
    __table_args__ = (
        Index("ix_lookup_attempts_subject", "subject_kind", "subject_hash", "created_at"),
    )

    id = Column(Integer, primary_key=True)
    subject_kind = Column(String(16), nullable=False)
    subject_hash = Column(String(64), nullable=False)
    success = Column(Boolean, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utc_now, index=True)


class LookupVerification(Base):
    """The server-side proof of one successful lookup: this conversation proved this case.

    Written by ``lookup_case`` on a match, used once by ``consume_verification`` (the status
    answer), valid for a few minutes. Both keys are keyed hashes, never the raw values.
    """

    __tablename__ = "lookup_verifications"
    __table_args__ = (
        Index("ix_lookup_verifications_subject", "conversation_hash", "case_hash"),
    )

    id = Column(Integer, primary_key=True)
    conversation_hash = Column(String(64), nullable=False)
    case_hash = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utc_now, index=True)
    used_at = Column(UTCDateTime, nullable=True)


class Feedback(Base):
    """One "Had u hier iets aan?" answer (issue 6): the topic it was about, yes or no, when.

    Nothing else: no user text, no sender id. Written by ``action_store_feedback``
    (``bot/stats.py``), read by ``wegwijzer report``.
    """

    __tablename__ = "feedback"

    id = Column(Integer, primary_key=True)
    #: The intent of the answered question (a knowledge topic or an answered frame intent), or "unknown".
    topic = Column(String(100), nullable=False)
    helpful = Column(Boolean, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utc_now, index=True)


class TopicStat(Base):
    """Per UTC day and intent: how often it was recognised (``asked``) and how often a question
    fell back while this intent ranked first after ``nlu_fallback`` (``fell_back``).

    Counted by the event broker ``bot.analytics.TopicStatsEventBroker``; never any text.
    """

    __tablename__ = "topic_stats"

    day = Column(Date, primary_key=True)
    topic = Column(String(100), primary_key=True)
    asked = Column(Integer, nullable=False, default=0)
    fell_back = Column(Integer, nullable=False, default=0)


__all__ = [
    "Base",
    "Case",
    "CaseEvent",
    "ContactPerson",
    "Feedback",
    "LookupAttempt",
    "LookupSubject",
    "LookupVerification",
    "SUBJECT_CASE",
    "SUBJECT_CASE_CLIENT",
    "SUBJECT_CLIENT",
    "SUBJECT_CONVERSATION",
    "SUBJECT_KINDS",
    "TopicStat",
    "UTCDateTime",
    "metadata",
    "utc_now",
]
