"""Command line for the case store: ``wegwijzer cases import|export|demo``.

``bot/cli.py`` calls :func:`register` with its argparse sub-parsers and then
``args.func(args)``, which returns the exit code. ``python -m bot.cases`` runs
the same commands without the ``cases`` word (see :func:`main`).

Every command first brings the database named by ``WEGWIJZER_DATABASE_URL``
(or ``--database-url``) up to date with the migrations, then prints a short
Dutch summary. A bad import file gives exit code 1 and the list of problems.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable, Optional, Sequence

from sqlalchemy.exc import OperationalError, SQLAlchemyError

from bot.cases.db import database_url, get_engine, migrate
from bot.cases.importer import ImportReport, export_cases, import_cases, import_demo_cases

Handler = Callable[[argparse.Namespace], int]


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``cases`` command (with ``import``, ``export``, ``demo``) to ``subparsers``.

    The handlers installed here end the process with their exit code when it
    is not 0 (``SystemExit``), so a caller that ignores ``args.func``'s return
    value still exits with 1 on a bad file.
    """
    parser = subparsers.add_parser(
        "cases",
        help="zaken importeren, exporteren of demozaken laden",
        description="Zaken in de database van Wegwijzer beheren.",
    )
    add_commands(parser, exit_on_error=True)
    return parser


def _exiting(handler: Handler) -> Handler:
    def run(args: argparse.Namespace) -> int:
        code = handler(args)
        if code:
            raise SystemExit(code)
        return code

    run.__doc__ = handler.__doc__
    return run


def add_commands(parser: argparse.ArgumentParser, exit_on_error: bool = False) -> None:
    """Add the case sub-commands to ``parser`` (shared by ``register`` and ``main``)."""
    wrap: Callable[[Handler], Handler] = _exiting if exit_on_error else (lambda handler: handler)
    parser.set_defaults(func=wrap(_usage(parser)))
    commands = parser.add_subparsers(dest="cases_command", metavar="{import,export,demo}")

    importing = commands.add_parser(
        "import", help="zaken uit een JSON-bestand importeren", description="Zaken importeren (alles of niets)."
    )
    importing.add_argument("file", metavar="FILE.json", help="bestand in de vorm {\"cases\": [...]}")
    _database_option(importing)
    importing.set_defaults(func=wrap(run_import))

    exporting = commands.add_parser(
        "export", help="alle zaken als JSON wegschrijven", description="Alle zaken exporteren."
    )
    exporting.add_argument("--output", "-o", metavar="FILE", help="bestand (standaard: het scherm)")
    _database_option(exporting)
    exporting.set_defaults(func=wrap(run_export))

    demo = commands.add_parser(
        "demo", help="de fictieve demozaken laden", description="De fictieve demozaken laden."
    )
    _database_option(demo)
    demo.set_defaults(func=wrap(run_demo))


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        metavar="URL",
        default=None,
        help="SQLAlchemy-URL van de database (standaard: WEGWIJZER_DATABASE_URL of sqlite:///wegwijzer.db)",
    )


def _usage(parser: argparse.ArgumentParser) -> Handler:
    def show(_args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    return show


def _prepare(args: argparse.Namespace) -> str:
    url = getattr(args, "database_url", None) or database_url()
    migrate(url)
    return url


def _print_report(report: ImportReport) -> int:
    if report.ok:
        print(report.summary())
        return 0
    print(report.summary(), file=sys.stderr)
    for problem in report.problems:
        print(f"- {problem}", file=sys.stderr)
    print("Verbeter het bestand en importeer het opnieuw.", file=sys.stderr)
    return 1


def _database_error(error: SQLAlchemyError) -> int:
    detail = (str(getattr(error, "orig", None) or error).strip().splitlines() or [""])[0][:200]
    if isinstance(error, OperationalError):
        print("De database is niet bereikbaar; er is niets opgeslagen.", file=sys.stderr)
        print("Controleer WEGWIJZER_DATABASE_URL of --database-url.", file=sys.stderr)
    else:
        print("De database gaf een fout; er is niets opgeslagen.", file=sys.stderr)
    print(f"Melding van de database: {detail}", file=sys.stderr)
    return 1


def run_import(args: argparse.Namespace) -> int:
    """``cases import FILE.json``."""
    try:
        url = _prepare(args)
        return _print_report(import_cases(args.file, get_engine(url)))
    except SQLAlchemyError as error:
        return _database_error(error)


def run_demo(args: argparse.Namespace) -> int:
    """``cases demo``: load the fictional demo cases."""
    try:
        url = _prepare(args)
        report = import_demo_cases(get_engine(url))
    except SQLAlchemyError as error:
        return _database_error(error)
    code = _print_report(report)
    if code == 0:
        print("Dit zijn fictieve demozaken (zaaknummers DEMO-1001 tot en met DEMO-1008).")
    return code


def run_export(args: argparse.Namespace) -> int:
    """``cases export [--output FILE]``: write all cases in the import format."""
    try:
        url = _prepare(args)
        payload = export_cases(get_engine(url))
    except SQLAlchemyError as error:
        return _database_error(error)
    text = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    count = len(payload["cases"])
    noun = "zaak" if count == 1 else "zaken"
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as error:
            print(f"Kan '{args.output}' niet schrijven: {error.strerror}.", file=sys.stderr)
            return 1
        print(f"Export gelukt: {count} {noun} geschreven naar {args.output}.")
    else:
        sys.stdout.write(text)
        print(f"Export gelukt: {count} {noun}.", file=sys.stderr)
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m bot.cases import|export|demo ...`` (a fallback for ``wegwijzer cases``)."""
    parser = argparse.ArgumentParser(prog="python -m bot.cases", description="Zaken van Wegwijzer beheren.")
    add_commands(parser)
    args = parser.parse_args(argv)
    return int(args.func(args))
