"""Verified case lookup with lockouts, and the server-side proof of a lookup (contract 3).

* A case is shown only when the case number *and* the birth date match. A wrong pair, an unknown
  number and a malformed number all give the same ``"no_match"``; the pair is compared in SQL and
  the details are loaded only on a match, so both take the same queries.
* Failed attempts are counted per subject, in the database, so every limit holds across
  processes and action servers (:data:`RULES`, each overridable by an environment variable):

  - the conversation: 3 failures in 15 minutes lock it for 15 minutes;
  - the case number *from one client address*: 3 in 15 minutes lock it for 15 minutes, for that
    address only, so a stranger who knows someone's case number cannot lock its owner out;
  - the case number from anywhere: 10 in 24 hours lock it for 1 hour, against guessing from many
    addresses; bounded, so the most a distributed stranger achieves is an hour at a time;
  - the client address: 10 failures in 1 hour lock it for 1 hour, whatever conversation ids it
    makes up;
  - everything together: more than :data:`GLOBAL_MAX_FAILURES_PER_MINUTE` failed lookups in one
    minute pause all lookups until that minute has passed (a mass attack, a fault).

  While any rule locks, even the right pair gives ``"locked"``, and the attempt is not recorded.
  A success does not reset a count (someone who knows one valid pair could otherwise interleave
  it to keep guessing others).
* A success records a :class:`~bot.cases.models.LookupVerification`: the status answer shows the
  case only after :func:`consume_verification` finds that proof for the same conversation and
  case, fresh (:data:`VERIFICATION_TTL`) and unused; slots a caller sends prove nothing.
* Subjects are stored as keyed hashes (HMAC-SHA256, :func:`subject_hash`), never as raw sender
  ids, case numbers or addresses; without the key, a hash cannot be tested against guesses.

Concurrency: see :func:`_lock_subjects`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable, Iterator, Literal, Optional, Sequence, Union

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, joinedload, selectinload

from bot.cases.db import SQLITE_BEGIN_OPTION
from bot.cases.models import (
    SUBJECT_CASE,
    SUBJECT_CASE_CLIENT,
    SUBJECT_CLIENT,
    SUBJECT_CONVERSATION,
    Case,
    LookupAttempt,
    LookupSubject,
    LookupVerification,
    utc_now,
)
from bot.cases.views import CaseView, ContactView, EventView
from bot.cases.vocab import normalise_case_number

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    """``threshold`` failures within ``window`` lock the subject for ``duration`` after the last."""

    threshold: int
    window: timedelta
    duration: timedelta


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return max(1, int(value)) if value else default
    except ValueError:
        logger.warning("%s=%r is not a whole number; using %d", name, value, default)
        return default


#: The conversation rule (also the per-client rule for one case number): 3 in 15 min, 15 min.
LOCKOUT_THRESHOLD = 3
LOCKOUT_WINDOW = timedelta(minutes=15)
LOCKOUT_DURATION = timedelta(minutes=15)
#: One rule per subject kind (see the module docstring). A municipality can tune the two wider
#: ones: WEGWIJZER_LOOKUP_MAX_FAILURES_PER_CASE_PER_DAY, WEGWIJZER_LOOKUP_MAX_FAILURES_PER_CLIENT_PER_HOUR.
RULES: dict[str, Rule] = {
    SUBJECT_CONVERSATION: Rule(LOCKOUT_THRESHOLD, LOCKOUT_WINDOW, LOCKOUT_DURATION),
    SUBJECT_CASE_CLIENT: Rule(LOCKOUT_THRESHOLD, LOCKOUT_WINDOW, LOCKOUT_DURATION),
    SUBJECT_CASE: Rule(_env_int("WEGWIJZER_LOOKUP_MAX_FAILURES_PER_CASE_PER_DAY", 10),
                       timedelta(hours=24), timedelta(hours=1)),
    SUBJECT_CLIENT: Rule(_env_int("WEGWIJZER_LOOKUP_MAX_FAILURES_PER_CLIENT_PER_HOUR", 10),
                         timedelta(hours=1), timedelta(hours=1)),
}
#: More failed lookups than this in one minute, from all subjects together, pause every lookup.
GLOBAL_MAX_FAILURES_PER_MINUTE = _env_int("WEGWIJZER_LOOKUP_MAX_FAILURES_PER_MINUTE", 30)
GLOBAL_WINDOW = timedelta(minutes=1)
#: How long the proof of a successful lookup may wait for the status answer (same turn: seconds).
VERIFICATION_TTL = timedelta(minutes=2)
#: Attempts younger than this may still decide a lockout; purging keeps them.
MIN_RETENTION = max(rule.window + rule.duration for rule in RULES.values())
#: The key of the subject hashes: WEGWIJZER_LOOKUP_PEPPER, else derived from the action server's
#: shared secret (WEGWIJZER_ACTION_TOKEN), which every action server of a deployment has.
PEPPER_ENV = "WEGWIJZER_LOOKUP_PEPPER"

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


def _pepper() -> bytes:
    pepper = os.environ.get(PEPPER_ENV, "").strip()
    if pepper:
        return pepper.encode("utf-8")
    token = os.environ.get("WEGWIJZER_ACTION_TOKEN", "").strip()
    if token:
        return hashlib.sha256(b"wegwijzer lookup pepper:" + token.encode("utf-8")).digest()
    return b"wegwijzer-lookup"  # no secret configured (tests of this module alone)


def subject_hash(kind: str, key: str) -> str:
    """HMAC-SHA256 hex digest of a lookup subject (domain-separated by ``kind``)."""
    material = f"wegwijzer-lookup:{kind}:{key}".encode("utf-8", "surrogatepass")
    return hmac.new(_pepper(), material, hashlib.sha256).hexdigest()


def lookup_case(
    engine: Engine,
    case_number: str,
    birth_date: date,
    conversation_id: str,
    now: Optional[datetime] = None,
    client_id: Optional[str] = None,
) -> LookupResult:
    """Look up a case by number and birth date, counting the attempt.

    ``client_id`` is the address the request came from (the chat channel passes it); without
    one, the per-client rules treat all such calls as one client. A malformed ``case_number``
    (see ``vocab.normalise_case_number``) is rejected before any case query: it answers
    ``"no_match"`` and counts as a failure for the conversation and the client only. A match
    records the proof that :func:`consume_verification` asks for.
    """
    moment = _aware(now)
    number = normalise_case_number(case_number)
    subjects = _subjects(conversation_id, number, client_id)
    if isinstance(birth_date, datetime):
        birth_date = birth_date.date()

    with _lookup_session(engine) as session:
        _lock_subjects(session, subjects, moment)
        locked_until = _latest_lock(session, subjects, moment)
        if locked_until is not None:
            return LookupResult("locked", None, locked_until)
        paused_until = _global_pause(session, moment)
        if paused_until is not None:
            return LookupResult("locked", None, paused_until)

        case_id: Optional[int] = None
        if number is not None and isinstance(birth_date, date):
            # Number and birth date compared in one query: a wrong pair and an unknown number
            # cost the same; the details are loaded only for a match.
            case_id = session.execute(
                select(Case.id).where(Case.case_number == number, Case.birth_date == birth_date)
            ).scalar_one_or_none()
        matched = case_id is not None

        for kind, digest in subjects:
            session.add(
                LookupAttempt(subject_kind=kind, subject_hash=digest, success=matched, created_at=moment)
            )
        if matched:
            assert number is not None
            session.add(LookupVerification(
                conversation_hash=subject_hash(SUBJECT_CONVERSATION, str(conversation_id)),
                case_hash=subject_hash(SUBJECT_CASE, number), created_at=moment,
            ))
        session.flush()

        if matched:
            case = session.execute(
                select(Case)
                .options(joinedload(Case.contact), selectinload(Case.events))
                .where(Case.id == case_id)
            ).scalar_one()
            return LookupResult("found", to_view(case))
        return LookupResult("no_match", None, _latest_lock(session, subjects, moment))


def consume_verification(
    engine: Engine,
    conversation_id: str,
    case_number: str,
    now: Optional[datetime] = None,
) -> bool:
    """True exactly once per successful lookup: this conversation proved this case just now.

    The proof is fresh (younger than :data:`VERIFICATION_TTL`) and unused; it is marked used in
    the same UPDATE, so two concurrent calls cannot both get True.
    """
    moment = _aware(now)
    number = normalise_case_number(case_number)
    if number is None:
        return False
    conversation = subject_hash(SUBJECT_CONVERSATION, str(conversation_id))
    case = subject_hash(SUBJECT_CASE, number)
    with _lookup_session(engine) as session:  # SQLite: the write lock first (no busy upgrade)
        newest = session.execute(
            select(LookupVerification.id)
            .where(
                LookupVerification.conversation_hash == conversation,
                LookupVerification.case_hash == case,
                LookupVerification.used_at.is_(None),
                LookupVerification.created_at > moment - VERIFICATION_TTL,
                LookupVerification.created_at <= moment + timedelta(seconds=5),
            )
            .order_by(LookupVerification.created_at.desc())
            .limit(1)
        ).scalar_one_or_none()
        if newest is None:
            return False
        used = session.execute(
            update(LookupVerification)
            .where(LookupVerification.id == newest, LookupVerification.used_at.is_(None))
            .values(used_at=moment)
        )
        return bool(used.rowcount)


def is_locked(
    engine: Engine,
    conversation_id: str,
    case_number: Optional[str] = None,
    now: Optional[datetime] = None,
    client_id: Optional[str] = None,
) -> LockState:
    """Whether lookups for this conversation (this case number, this client) are locked now.

    Read-only: it records nothing. The form calls it before asking the birth date.
    """
    moment = _aware(now)
    subjects = _subjects(conversation_id, normalise_case_number(case_number), client_id)
    with Session(bind=engine, future=True) as session:
        until = _latest_lock(session, subjects, moment) or _global_pause(session, moment)
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
        # A proof lives minutes; keep none beyond the purge cut-off (nor used ones).
        session.execute(delete(LookupVerification).where(
            (LookupVerification.created_at < cutoff) | LookupVerification.used_at.is_not(None)
            | (LookupVerification.created_at < moment - VERIFICATION_TTL)
        ))
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


def _subjects(conversation_id: str, number: Optional[str], client_id: Optional[str] = None) -> list[Subject]:
    client = str(client_id or "")
    subjects = [
        (SUBJECT_CONVERSATION, subject_hash(SUBJECT_CONVERSATION, str(conversation_id))),
        (SUBJECT_CLIENT, subject_hash(SUBJECT_CLIENT, client)),
    ]
    if number is not None:
        subjects.append((SUBJECT_CASE, subject_hash(SUBJECT_CASE, number)))
        subjects.append((SUBJECT_CASE_CLIENT, subject_hash(SUBJECT_CASE_CLIENT, f"{number}\n{client}")))
    return sorted(subjects)


def _global_pause(session: Session, moment: datetime) -> Optional[datetime]:
    """When lookups may start again after too many failures in the last minute, else None.

    Every lookup records exactly one conversation attempt, so those rows count lookups.
    """
    since = moment - GLOBAL_WINDOW
    failures = list(session.execute(
        select(LookupAttempt.created_at)
        .where(LookupAttempt.subject_kind == SUBJECT_CONVERSATION,
               LookupAttempt.success.is_(False), LookupAttempt.created_at > since)
        .order_by(LookupAttempt.created_at.desc())
        .limit(GLOBAL_MAX_FAILURES_PER_MINUTE + 1)
    ).scalars())
    if len(failures) <= GLOBAL_MAX_FAILURES_PER_MINUTE:
        return None
    # Paused until the oldest of the counted failures leaves the window.
    return failures[-1] + GLOBAL_WINDOW


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

    A lockout starts at a failure that is the ``threshold``-th within the
    kind's ``window`` (:data:`RULES`) and lasts its ``duration``. Only failures
    of the last ``window + duration`` can still matter. Attempts made while
    locked are not recorded, so failures from before a lockout never combine
    with failures after it. There is no upper bound on ``created_at``: a
    server whose clock lags behind the others still sees their failures.
    """
    kind, digest = subject
    rule = RULES[kind]
    failures = list(
        session.execute(
            select(LookupAttempt.created_at)
            .where(
                LookupAttempt.subject_kind == kind,
                LookupAttempt.subject_hash == digest,
                LookupAttempt.success.is_(False),
                LookupAttempt.created_at > moment - (rule.window + rule.duration),
            )
            .order_by(LookupAttempt.created_at)
        ).scalars()
    )
    end: Optional[datetime] = None
    span = rule.threshold - 1
    for first, last in zip(failures, failures[span:]):
        if last - first <= rule.window:
            candidate = last + rule.duration
            end = candidate if end is None else max(end, candidate)
    return end if end is not None and end > moment else None
