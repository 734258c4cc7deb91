"""Verified case lookup with a lockout, per contract 3 of ``../shared/DESIGN.md``.

* A case is shown only when the case number *and* the birth date match. A wrong
  pair, an unknown number and a malformed number all give the same
  ``"no_match"``.
* Failed attempts are counted per conversation and per case number (whether
  or not that number exists, so a lockout reveals nothing). Three failures of
  one subject within 15 minutes lock that subject until 15 minutes after the
  third failure; while locked, even the right pair gives ``"locked"``.
  A success does not reset the count (otherwise someone who knows one valid
  pair could interleave it to keep guessing others).
* Attempts live in the database, so the lockout holds across processes and
  action servers. Subjects are stored as SHA-256 digests, never as raw
  sender ids or case numbers.

Concurrency: see :func:`_lock_subjects`.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable, Iterator, Literal, Optional, Sequence, Union

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, joinedload, selectinload

from bot.cases.db import SQLITE_BEGIN_OPTION
from bot.cases.models import (
    SUBJECT_CASE,
    SUBJECT_CONVERSATION,
    Case,
    LookupAttempt,
    LookupSubject,
    utc_now,
)
from bot.cases.views import CaseView, ContactView, EventView
from bot.cases.vocab import normalise_case_number

#: Failures of one subject that trigger a lockout ...
LOCKOUT_THRESHOLD = 3
#: ... when they fall within this window ...
LOCKOUT_WINDOW = timedelta(minutes=15)
#: ... for this long after the last of them.
LOCKOUT_DURATION = timedelta(minutes=15)
#: Attempts younger than this may still decide a lockout; purging keeps them.
MIN_RETENTION = LOCKOUT_WINDOW + LOCKOUT_DURATION

LookupStatus = Literal["found", "no_match", "locked"]
Subject = tuple[str, str]  # (subject_kind, subject_hash)


@dataclass(frozen=True)
class LookupResult:
    """The answer to a lookup.

    ``case`` is set only for ``"found"``. ``locked_until`` is set for
    ``"locked"``, and also for a ``"no_match"`` whose failure started a
    lockout (so the bot can say when to try again).
    """

    status: LookupStatus
    case: Optional[CaseView] = None
    locked_until: Optional[datetime] = None

    @property
    def found(self) -> bool:
        return self.status == "found"

    @property
    def locked(self) -> bool:
        return self.status == "locked"


@dataclass(frozen=True)
class LockState:
    """Whether lookups are locked; truthy when locked."""

    locked: bool
    locked_until: Optional[datetime] = None

    def __bool__(self) -> bool:
        return self.locked


def subject_hash(kind: str, key: str) -> str:
    """SHA-256 hex digest of a lookup subject (domain-separated by ``kind``)."""
    material = f"wegwijzer-lookup:{kind}:{key}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(material).hexdigest()


def lookup_case(
    engine: Engine,
    case_number: str,
    birth_date: date,
    conversation_id: str,
    now: Optional[datetime] = None,
) -> LookupResult:
    """Look up a case by number and birth date, counting the attempt.

    A malformed ``case_number`` (see ``vocab.normalise_case_number``) is
    rejected before any case query: it answers ``"no_match"`` and counts as a
    failure for the conversation only.
    """
    moment = _aware(now)
    number = normalise_case_number(case_number)
    subjects = _subjects(conversation_id, number)
    if isinstance(birth_date, datetime):
        birth_date = birth_date.date()

    with _lookup_session(engine) as session:
        _lock_subjects(session, subjects, moment)
        locked_until = _latest_lock(session, subjects, moment)
        if locked_until is not None:
            return LookupResult("locked", None, locked_until)

        case: Optional[Case] = None
        if number is not None and isinstance(birth_date, date):
            case = session.execute(
                select(Case)
                .options(joinedload(Case.contact), selectinload(Case.events))
                .where(Case.case_number == number)
            ).scalar_one_or_none()
        matched = case is not None and case.birth_date == birth_date

        for kind, digest in subjects:
            session.add(
                LookupAttempt(subject_kind=kind, subject_hash=digest, success=matched, created_at=moment)
            )
        session.flush()

        if matched:
            assert case is not None
            return LookupResult("found", to_view(case))
        return LookupResult("no_match", None, _latest_lock(session, subjects, moment))


def is_locked(
    engine: Engine,
    conversation_id: str,
    case_number: Optional[str] = None,
    now: Optional[datetime] = None,
) -> LockState:
    """Whether lookups for this conversation (or this case number) are locked now.

    Read-only: it records nothing. The form calls it before asking the birth date.
    """
    moment = _aware(now)
    subjects = _subjects(conversation_id, normalise_case_number(case_number))
    with Session(bind=engine, future=True) as session:
        until = _latest_lock(session, subjects, moment)
    return LockState(until is not None, until)


def purge_attempts(
    engine: Engine,
    older_than: Union[timedelta, datetime],
    now: Optional[datetime] = None,
) -> int:
    """Delete lookup bookkeeping older than ``older_than`` (an age or a cut-off time).

    Returns the number of attempts deleted. Refuses a cut-off that would erase
    attempts which can still decide a lockout (younger than 30 minutes).
    """
    moment = _aware(now)
    cutoff = moment - older_than if isinstance(older_than, timedelta) else _aware(older_than)
    if cutoff > moment - MIN_RETENTION:
        raise ValueError(f"attempts younger than {MIN_RETENTION} are needed for the lockout")
    with Session(bind=engine, future=True) as session, session.begin():
        deleted = session.execute(delete(LookupAttempt).where(LookupAttempt.created_at < cutoff))
        session.execute(delete(LookupSubject).where(LookupSubject.last_attempt_at < cutoff))
        return int(deleted.rowcount or 0)


def to_view(case: Case) -> CaseView:
    """Copy a loaded ORM case into a frozen :class:`CaseView` (events sorted by date)."""
    events = sorted(case.events, key=lambda event: (event.event_date, event.position))
    return CaseView(
        case_number=case.case_number,
        municipality=case.municipality,
        law=case.law,
        status=case.status,
        contact=ContactView(case.contact.name, case.contact.phone, case.contact.email),
        events=tuple(EventView(e.event_date, e.type, e.note, e.outcome) for e in events),
        updated_at=case.updated_at,
    )


# --- internals ---------------------------------------------------------------------------


def _aware(moment: Optional[datetime]) -> datetime:
    if moment is None:
        return utc_now()
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return moment.astimezone(timezone.utc)


def _subjects(conversation_id: str, number: Optional[str]) -> list[Subject]:
    subjects = [(SUBJECT_CONVERSATION, subject_hash(SUBJECT_CONVERSATION, str(conversation_id)))]
    if number is not None:
        subjects.append((SUBJECT_CASE, subject_hash(SUBJECT_CASE, number)))
    return sorted(subjects)


@contextmanager
def _lookup_session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction is fit for check-and-record (see ``_lock_subjects``)."""
    options: dict[str, Any] = {}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "READ COMMITTED"
    elif engine.dialect.name == "sqlite":
        options[SQLITE_BEGIN_OPTION] = "IMMEDIATE"
    with Session(bind=engine, future=True, expire_on_commit=False) as session:
        with session.begin():
            session.connection(execution_options=options or None)
            yield session


def _lock_subjects(session: Session, subjects: Sequence[Subject], moment: datetime) -> None:
    """Take an exclusive lock on each subject's anchor row, in a fixed order.

    Why row locks (and not SERIALIZABLE + retry): the critical section is
    "count the recent failures, decide, record one more". Under READ COMMITTED
    we upsert one ``lookup_subjects`` row per subject (``INSERT ... ON CONFLICT
    DO UPDATE``), which leaves that row locked until commit. A second lookup of
    the same conversation or case number blocks on the same row, and when it
    continues its next statement sees the first one's committed attempt
    (READ COMMITTED takes a fresh snapshot per statement). So N concurrent
    wrong guesses are counted one by one and exactly three are evaluated.
    SERIALIZABLE would give the same safety but turns contention into
    serialization failures that every caller must retry; the row lock simply
    waits, costs one indexed row per subject, and never needs a retry. Rows
    are locked in sorted (kind, hash) order, so two lookups can never wait on
    each other in a cycle (no deadlocks). The upsert also survives a
    concurrent purge of the row.

    On SQLite the transaction was begun with ``BEGIN IMMEDIATE``: the database
    write lock serialises all lookups across processes, and the upsert is just
    bookkeeping.
    """
    insert = _dialect_insert(session)
    for kind, digest in sorted(subjects):
        if insert is None:  # another backend: lock an existing row or create it
            row = session.execute(
                select(LookupSubject)
                .where(LookupSubject.subject_kind == kind, LookupSubject.subject_hash == digest)
                .with_for_update()
            ).scalar_one_or_none()
            if row is None:
                session.add(LookupSubject(subject_kind=kind, subject_hash=digest, last_attempt_at=moment))
            else:
                row.last_attempt_at = moment
            session.flush()
            continue
        statement = insert(LookupSubject).values(
            subject_kind=kind, subject_hash=digest, last_attempt_at=moment
        )
        statement = statement.on_conflict_do_update(
            index_elements=[LookupSubject.subject_kind, LookupSubject.subject_hash],
            set_={"last_attempt_at": statement.excluded.last_attempt_at},
        )
        session.execute(statement)


def _dialect_insert(session: Session) -> Any:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert
    return None


def _latest_lock(session: Session, subjects: Iterable[Subject], moment: datetime) -> Optional[datetime]:
    """The latest lockout end among ``subjects`` that is still in the future, if any."""
    ends = [end for subject in subjects if (end := _lock_end(session, subject, moment)) is not None]
    return max(ends) if ends else None


def _lock_end(session: Session, subject: Subject, moment: datetime) -> Optional[datetime]:
    """When the lockout of one subject ends, or ``None`` if it is not locked at ``moment``.

    A lockout starts at a failure that is the third within ``LOCKOUT_WINDOW``
    and lasts ``LOCKOUT_DURATION``. Only failures of the last
    ``LOCKOUT_WINDOW + LOCKOUT_DURATION`` can still matter. Attempts made while
    locked are not recorded, so failures from before a lockout never combine
    with failures after it.
    """
    kind, digest = subject
    failures = list(
        session.execute(
            select(LookupAttempt.created_at)
            .where(
                LookupAttempt.subject_kind == kind,
                LookupAttempt.subject_hash == digest,
                LookupAttempt.success.is_(False),
                LookupAttempt.created_at > moment - MIN_RETENTION,
                LookupAttempt.created_at <= moment,
            )
            .order_by(LookupAttempt.created_at)
        ).scalars()
    )
    end: Optional[datetime] = None
    span = LOCKOUT_THRESHOLD - 1
    for first, last in zip(failures, failures[span:]):
        if last - first <= LOCKOUT_WINDOW:
            candidate = last + LOCKOUT_DURATION
            end = candidate if end is None else max(end, candidate)
    return end if end is not None and end > moment else None
