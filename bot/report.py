"""`wegwijzer report [--days 30] [--format text|csv]`: per topic asked, fell back and rated.

For a municipality that wants to see what to improve (issue 6, item 3). Per topic (the Dutch
label from bot/topics.yml, or of an answered frame intent, and the intent): how often it was
asked (the intent was recognised), how often a question fell back while this topic ranked first
(the bot was not sure), how often an answer was rated yes and no ("Had u hier iets aan?"), and
the share of yes. Sorted by what needs attention: most fallbacks plus "no" first.

Days are UTC days; the period is the last ``--days`` days up to and including today. The command
first brings the database (``WEGWIJZER_DATABASE_URL``) up to date with the migrations. Counts that
the Rasa server still holds in memory (at most a few seconds, see bot/analytics.py) are not in it.
"""
from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Optional, Sequence, TextIO

from bot import stats
from bot.cases.models import utc_now

DEFAULT_DAYS = 30


@dataclass(frozen=True)
class TopicRow:
    intent: str
    label: str
    asked: int
    fell_back: int
    rated_yes: int
    rated_no: int

    @property
    def rated(self) -> int:
        return self.rated_yes + self.rated_no

    @property
    def percent_helpful(self) -> Optional[int]:
        return round(100 * self.rated_yes / self.rated) if self.rated else None

    def attention(self) -> tuple:
        """Sort key: most fallbacks plus "no" first, then most fallbacks, most "no", most asked."""
        return (-(self.fell_back + self.rated_no), -self.fell_back, -self.rated_no, -self.asked, self.intent)


def period(days: int, today: Optional[date] = None) -> tuple[date, date]:
    """The first and last UTC day of the last ``days`` days, today included."""
    last = today or utc_now().date()
    return last - timedelta(days=max(1, days) - 1), last


def build_rows(engine: Any, first: date, last: date) -> list[TopicRow]:
    rows = [
        TopicRow(intent, stats.label(intent), **counts)
        for intent, counts in stats.read_stats(engine, first, last).items()
        if any(counts.values())
    ]
    return sorted(rows, key=TopicRow.attention)


def _short_date(d: date) -> str:
    from babel.dates import format_date

    return format_date(d, format="d MMMM y", locale="nl")


def write_text(rows: Sequence[TopicRow], first: date, last: date, out: TextIO) -> None:
    days = (last - first).days + 1
    asked = sum(r.asked for r in rows)
    fell_back = sum(r.fell_back for r in rows)
    yes = sum(r.rated_yes for r in rows)
    no = sum(r.rated_no for r in rows)
    print("Wegwijzer: gebruik en waardering per onderwerp", file=out)
    print(f"Periode: {_short_date(first)} t/m {_short_date(last)} ({days} dagen, UTC)", file=out)
    print(
        f"Totaal: {asked} keer gevraagd, {fell_back} keer niet zeker herkend, "
        f"{yes + no} beoordelingen ({yes} ja, {no} nee)",
        file=out,
    )
    print("Bovenaan staat wat aandacht nodig heeft: vaak niet herkend of vaak 'nee'.", file=out)
    print(file=out)
    if not rows:
        print("Nog geen gegevens in deze periode.", file=out)
        return
    header = ("Onderwerp", "Intent", "Gevraagd", "Niet herkend", "Ja", "Nee", "% nuttig")
    table = [header] + [
        (
            r.label,
            r.intent,
            str(r.asked),
            str(r.fell_back),
            str(r.rated_yes),
            str(r.rated_no),
            "-" if r.percent_helpful is None else f"{r.percent_helpful}%",
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]

    def render(line: Sequence[str]) -> str:
        cells = [line[0].ljust(widths[0]), line[1].ljust(widths[1])]
        cells += [cell.rjust(width) for cell, width in zip(line[2:], widths[2:])]
        return "  ".join(cells).rstrip()

    print(render(header), file=out)
    print("  ".join("-" * width for width in widths), file=out)
    for line in table[1:]:
        print(render(line), file=out)
    print(file=out)
    print(
        "Niet herkend: de chatbot was niet zeker en dit onderwerp leek het meest op de vraag.",
        file=out,
    )


CSV_HEADER = ("intent", "onderwerp", "gevraagd", "niet_herkend", "nuttig_ja", "nuttig_nee", "procent_nuttig")


def write_csv(rows: Sequence[TopicRow], out: TextIO, delimiter: str = ",") -> None:
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow(
            (r.intent, r.label, r.asked, r.fell_back, r.rated_yes, r.rated_no,
             "" if r.percent_helpful is None else r.percent_helpful)
        )


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.cases.db import database_url, get_engine, migrate

    if args.days < 1:
        print("--days moet 1 of meer zijn.", file=sys.stderr)
        return 2
    url = args.database_url or database_url()
    try:
        migrate(url)
        first, last = period(args.days)
        rows = build_rows(get_engine(url), first, last)
    except SQLAlchemyError as error:
        print(f"De database is niet te lezen ({type(error).__name__}).", file=sys.stderr)
        print("Controleer WEGWIJZER_DATABASE_URL of --database-url.", file=sys.stderr)
        return 1
    if args.format == "csv":
        write_csv(rows, sys.stdout, delimiter=args.delimiter)
    else:
        write_text(rows, first, last, sys.stdout)
    return 0


def _exit_with(args: argparse.Namespace) -> None:
    code = run(args)
    if code:
        raise SystemExit(code)


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add `report` to the `wegwijzer` command (called by bot.cli._extra_commands)."""
    parser = subparsers.add_parser(
        "report",
        help="per onderwerp: hoe vaak gevraagd, niet herkend en beoordeeld",
        description="Gebruik en waardering per onderwerp, om te zien wat beter kan.",
    )
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="aantal dagen terug (standaard 30)")
    parser.add_argument("--format", choices=("text", "csv"), default="text", help="tabel of CSV voor een spreadsheet")
    parser.add_argument("--delimiter", default=",", help="scheidingsteken voor CSV (bijvoorbeeld ';' voor Excel in het Nederlands)")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        default=None,
        help="SQLAlchemy-URL van de database (standaard: WEGWIJZER_DATABASE_URL of sqlite:///wegwijzer.db)",
    )
    parser.set_defaults(func=_exit_with)
    return parser
