"""Retention: `wegwijzer purge --older-than 30d` deletes old conversations and lookup attempts.

What is deleted, in one transaction per database:

- from the SQL tracker store (Rasa's `events` table, `timestamp` in Unix seconds): every
  conversation whose *last* event is older than the period, whole;
- from conversations that are still going on: the events of their earlier sessions that are older
  than the period. Events of the current session (from its latest `session_started` on, which is
  all Rasa reads back) are never touched, so a live conversation keeps working;
- from the case store: the lookup attempts older than the period
  (`bot.cases.repository.purge_attempts`, which refuses to erase attempts that still decide a
  lockout, i.e. younger than 25 hours: the case-wide rule looks back 24 hours).

The tracker store is found the way the servers find it: from `endpoints.prod.yml` and the
environment (POSTGRES_HOST etc.), or from `--tracker-url`; the case store from
WEGWIJZER_DATABASE_URL or `--database-url`. `--dry-run` counts without deleting.
Run it daily (deploy/purge-cronjob.yaml does).
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

EVENTS = sa.table(
    "events",
    sa.column("id"),
    sa.column("sender_id"),
    sa.column("type_name"),
    sa.column("timestamp"),
)
SESSION_STARTED = "session_started"
PERIOD_RE = re.compile(r"^\s*(\d+)\s*(d|h|w|dagen|dag|uur|weken|week)\s*$", re.IGNORECASE)
UNIT_HOURS = {"h": 1, "uur": 1, "d": 24, "dag": 24, "dagen": 24, "w": 168, "week": 168, "weken": 168}


def parse_period(text: str) -> timedelta:
    """'30d' → 30 days; also '12h', '4w' (and the Dutch '30 dagen'). Raises ValueError in Dutch."""
    match = PERIOD_RE.match(text or "")
    if not match:
        raise ValueError(
            f"'{text}' is geen termijn. Gebruik een getal met d (dagen), h (uren) of w (weken), "
            "bijvoorbeeld 30d."
        )
    amount = int(match.group(1))
    if amount <= 0:
        raise ValueError("De termijn moet groter zijn dan 0.")
    return timedelta(hours=amount * UNIT_HOURS[match.group(2).lower()])


@dataclass
class PurgeReport:
    cutoff: datetime
    conversations: int = 0
    conversation_events: int = 0
    old_session_events: int = 0
    lookup_attempts: Optional[int] = None
    dry_run: bool = False

    def summary(self) -> str:
        verb = "zou verwijderen" if self.dry_run else "verwijderd"
        lines = [
            f"Bewaartermijn: alles van voor {self.cutoff:%Y-%m-%d %H:%M} UTC.",
            f"- gesprekken {verb}: {self.conversations} ({self.conversation_events} gebeurtenissen)",
            f"- gebeurtenissen uit oude sessies van lopende gesprekken {verb}: {self.old_session_events}",
        ]
        if self.lookup_attempts is not None:
            lines.append(f"- zoekpogingen naar zaken {verb}: {self.lookup_attempts}")
        if self.dry_run:
            lines.append("Proefdraai (--dry-run): er is niets verwijderd.")
        return "\n".join(lines)


def purge_tracker_events(engine: Engine, cutoff: float, dry_run: bool = False) -> tuple[int, int, int]:
    """Delete old conversations and old sessions from the `events` table.

    Returns (conversations deleted, their events, events of old sessions of live conversations).
    With `dry_run` the transaction is rolled back.
    """
    if not sa.inspect(engine).has_table("events"):
        return 0, 0, 0
    stale = (
        sa.select(EVENTS.c.sender_id)
        .group_by(EVENTS.c.sender_id)
        .having(sa.func.max(EVENTS.c.timestamp) < cutoff)
    )
    later = EVENTS.alias("later")
    latest_session_start = (
        sa.select(sa.func.max(later.c.timestamp))
        .where(later.c.sender_id == EVENTS.c.sender_id, later.c.type_name == SESSION_STARTED)
        .scalar_subquery()
    )
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            conversations = connection.execute(
                sa.select(sa.func.count()).select_from(stale.subquery())
            ).scalar_one()
            whole = connection.execute(sa.delete(EVENTS).where(EVENTS.c.sender_id.in_(stale)))
            sessions = connection.execute(
                sa.delete(EVENTS).where(
                    EVENTS.c.timestamp < cutoff, EVENTS.c.timestamp < latest_session_start
                )
            )
            counts = int(conversations), int(whole.rowcount or 0), int(sessions.rowcount or 0)
        except BaseException:
            transaction.rollback()
            raise
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    return counts


def count_lookup_attempts(engine: Engine, cutoff: datetime) -> int:
    from bot.cases.models import LookupAttempt

    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.select(sa.func.count()).select_from(LookupAttempt).where(LookupAttempt.created_at < cutoff)
            ).scalar_one()
        )


def purge(
    older_than: timedelta,
    tracker_engine: Optional[Engine],
    cases_engine: Optional[Engine],
    now: Optional[datetime] = None,
    dry_run: bool = False,
) -> PurgeReport:
    """Delete everything older than `older_than` from the tracker store and the case store."""
    moment = now or datetime.now(timezone.utc)
    cutoff = moment - older_than
    report = PurgeReport(cutoff=cutoff, dry_run=dry_run)
    if tracker_engine is not None:
        (report.conversations, report.conversation_events,
         report.old_session_events) = purge_tracker_events(tracker_engine, cutoff.timestamp(), dry_run)
    if cases_engine is not None:
        if dry_run:
            report.lookup_attempts = count_lookup_attempts(cases_engine, cutoff)
        else:
            from bot.cases.repository import purge_attempts

            report.lookup_attempts = purge_attempts(cases_engine, older_than, now=moment)
    return report


# --- where the data is -----------------------------------------------------------------------


def tracker_store_url(endpoints_file: str) -> Any:
    """The SQLAlchemy URL of the SQL tracker store named in `endpoints_file` (env filled in)."""
    from rasa.core.tracker_store import SQLTrackerStore

    from bot.production import ProductionConfigError, read_production_endpoints

    config = read_production_endpoints(endpoints_file).tracker_store
    kwargs = dict(config.kwargs)
    if config.type != "sql" and "dialect" not in kwargs:
        raise ProductionConfigError(
            f"De opslag voor gesprekken in {endpoints_file} is geen SQL-database; purge werkt alleen daarmee."
        )
    return SQLTrackerStore.get_db_url(
        kwargs.get("dialect", "sqlite"), config.url, kwargs.get("port"), kwargs.get("db", "rasa.db"),
        kwargs.get("username"), kwargs.get("password"), kwargs.get("login_db"), kwargs.get("query"),
    )


def tracker_engine_for(url: Any) -> Engine:
    from rasa.core.tracker_store import create_engine_kwargs  # honours POSTGRESQL_SCHEMA

    return sa.create_engine(url, future=True, **create_engine_kwargs(url))


# --- command -----------------------------------------------------------------------------------


def cmd_purge(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.cases.db import database_url, get_engine, migrate

    try:
        period = parse_period(args.older_than)
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        tracker_engine = None
        if not args.skip_conversations:
            url = args.tracker_url or tracker_store_url(args.endpoints)
            tracker_engine = tracker_engine_for(url)
        cases_engine = None
        if not args.skip_cases:
            cases_url = args.database_url or database_url()
            migrate(cases_url)
            cases_engine = get_engine(cases_url)
        report = purge(period, tracker_engine, cases_engine, dry_run=args.dry_run)
    except ValueError as error:  # purge_attempts: a period shorter than the lockout needs
        print(f"Niet gedaan: {error}. Kies een langere termijn.", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        detail = (str(getattr(error, "orig", None) or error).strip().splitlines() or [""])[0][:200]
        print("De database is niet bereikbaar of gaf een fout; er is niets verwijderd.", file=sys.stderr)
        print(f"Melding van de database: {detail}", file=sys.stderr)
        return 1
    print(report.summary())
    print(f"Klaar in {time.monotonic() - started:.1f} s.")
    return 0


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "purge",
        help="oude gesprekken en zoekpogingen verwijderen (bewaartermijn)",
        description="Verwijder gesprekken en zoekpogingen die ouder zijn dan de bewaartermijn.",
    )
    parser.add_argument("--older-than", required=True, metavar="TERMIJN",
                        help="bijvoorbeeld 30d (dagen), 12h (uren) of 4w (weken)")
    parser.add_argument("--endpoints", default="endpoints.prod.yml",
                        help="waar de gesprekken staan (standaard endpoints.prod.yml met de omgevingsvariabelen)")
    parser.add_argument("--tracker-url", default=None, metavar="URL",
                        help="SQLAlchemy-URL van de gesprekkendatabase (in plaats van --endpoints)")
    parser.add_argument("--database-url", default=None, metavar="URL",
                        help="SQLAlchemy-URL van de zakendatabase (standaard WEGWIJZER_DATABASE_URL)")
    parser.add_argument("--skip-conversations", action="store_true", help="gesprekken niet opschonen")
    parser.add_argument("--skip-cases", action="store_true", help="zoekpogingen niet opschonen")
    parser.add_argument("--dry-run", action="store_true", help="alleen tellen, niets verwijderen")

    def run(args: argparse.Namespace) -> int:
        code = cmd_purge(args)
        if code:
            raise SystemExit(code)
        return code

    parser.set_defaults(func=run)
    return parser
