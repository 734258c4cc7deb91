"""Import and export of cases in the file format of contract 2.

The file is ``{"cases": [...]}``. Every problem is reported in Dutch (the
reader is a municipal administrator) and names the case (its position in the
file and, when readable, its case number) and the field. A file with any
problem writes nothing; a good file is written in one transaction. Importing is
idempotent on ``case_number``: a known case is updated (its events replaced),
an identical one is left alone.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Union

from sqlalchemy import delete, exists, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, joinedload, selectinload

from bot.cases.db import get_engine, session_scope
from bot.cases.models import Case, CaseEvent, ContactPerson, utc_now
from bot.cases.vocab import (
    CASE_NUMBER_MAX_LENGTH,
    CASE_NUMBER_MIN_LENGTH,
    CASE_NUMBER_PATTERN,
    LAWS,
    MUNICIPALITY_MAX_LENGTH,
    MUNICIPALITY_PATTERN,
    OUTCOMES,
    STEPS,
    STEPS_WITH_OUTCOME,
)

CASE_FIELDS = ("case_number", "birth_date", "municipality", "law", "status", "contact", "events")
CONTACT_FIELDS = ("name", "phone", "email")
EVENT_FIELDS = ("date", "type", "note", "outcome")
EVENT_REQUIRED_FIELDS = ("date", "type", "note")

NAME_MAX_LENGTH = 100
NOTE_MAX_LENGTH = 2000
EMAIL_MAX_LENGTH = 254
PHONE_MAX_LENGTH = 32
PHONE_MIN_DIGITS = 5  # municipal numbers such as "14 020"
PHONE_MAX_DIGITS = 15
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)

_DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PHONE_PATTERN = re.compile(r"\+?[0-9][0-9 ()\-]*[0-9]")
_EMAIL_PATTERN = re.compile(r"[^@\s]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}")

DEMO_FILE = "demo_cases.json"


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    """One problem in an import file. ``str(problem)`` is the Dutch message.

    ``case_position`` is 1-based (as a person counts), ``field`` a dotted path
    such as ``"birth_date"``, ``"contact.email"`` or ``"events.2.outcome"``
    (event numbers 1-based too). Problems with the file as a whole have
    neither.
    """

    message: str
    case_position: Optional[int] = None
    case_number: Optional[str] = None
    field: Optional[str] = None

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ImportReport:
    """What an import did; with any ``problems`` nothing was written."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: tuple[ImportProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def summary(self) -> str:
        """A short Dutch summary for the command line."""
        if not self.ok:
            count = len(self.problems)
            noun = "probleem" if count == 1 else "problemen"
            return f"Niets geïmporteerd: het bestand heeft {count} {noun}."
        return (
            f"Import gelukt: {self.total} {'zaak' if self.total == 1 else 'zaken'} verwerkt "
            f"({self.inserted} nieuw, {self.updated} bijgewerkt, {self.unchanged} ongewijzigd)."
        )


@dataclass(frozen=True)
class EventRecord:
    """A validated event."""

    date: date
    type: str
    note: str
    outcome: Optional[str] = None


@dataclass(frozen=True)
class CaseRecord:
    """A validated case, ready to be written."""

    case_number: str
    birth_date: date
    municipality: str
    law: str
    status: str
    contact: tuple[str, str, str]
    events: tuple[EventRecord, ...] = field(default_factory=tuple)


# --- validation ----------------------------------------------------------------------------


class _JsonObject(dict):  # type: ignore[type-arg]
    """A JSON object that remembers keys which appeared more than once."""

    duplicate_keys: tuple[str, ...] = ()


def _object_pairs(pairs: list[tuple[str, Any]]) -> _JsonObject:
    obj = _JsonObject()
    duplicates: list[str] = []
    for key, value in pairs:
        if key in obj and key not in duplicates:
            duplicates.append(key)
        obj[key] = value
    obj.duplicate_keys = tuple(duplicates)
    return obj


class _Collector:
    """Collects problems for one case, with its location in Dutch."""

    def __init__(self, problems: list[ImportProblem], position: int) -> None:
        self._problems = problems
        self.position = position
        self.case_number: Optional[str] = None

    @property
    def count(self) -> int:
        """How many problems were collected so far (for the whole file)."""
        return len(self._problems)

    def label(self) -> str:
        if self.case_number:
            return f"Zaak {self.position} ({self.case_number})"
        return f"Zaak {self.position}"

    def add(self, field_path: Optional[str], text: str, event: Optional[int] = None) -> None:
        """Record a problem of ``field_path`` (``None``: the case itself), maybe in an event."""
        where = self.label()
        if event is not None:
            where += f", gebeurtenis {event}"
        if field_path is not None and field_path != f"events.{event}":
            shown = field_path.rsplit(".", 1)[-1] if event is not None else field_path
            where += f", veld '{shown}'"
        self._problems.append(
            ImportProblem(
                message=f"{where}: {text}",
                case_position=self.position,
                case_number=self.case_number,
                field=field_path,
            )
        )


def _show(value: Any) -> str:
    """A value as it may appear in a message: quoted, escaped, and short."""
    text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=True, default=str)
    return text if len(text) <= 42 else text[:39] + "..."


def _type_name(value: Any) -> str:
    if value is None:
        return "leeg (null)"
    if isinstance(value, bool):
        return "een ja/nee-waarde"
    if isinstance(value, (int, float)):
        return "een getal"
    if isinstance(value, str):
        return "tekst"
    if isinstance(value, list):
        return "een lijst"
    if isinstance(value, dict):
        return "een object"
    return type(value).__name__


def _has_hidden_characters(text: str, allow_newlines: bool = False) -> bool:
    """Control and format characters (zero-width, bidi overrides, ...) are refused."""
    for char in text:
        if allow_newlines and char in "\n\t":
            continue
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            return True
    return False


def _one_of(values: Iterable[str]) -> str:
    items = list(values)
    return ", ".join(items[:-1]) + " of " + items[-1]


def _text(
    out: _Collector,
    obj: Mapping[str, Any],
    name: str,
    path: str,
    event: Optional[int] = None,
    allow_newlines: bool = False,
) -> Optional[str]:
    """A required string field; reports and returns ``None`` when it is not usable."""
    if name not in obj:
        out.add(path, "ontbreekt.", event)
        return None
    value = obj[name]
    if not isinstance(value, str):
        out.add(path, f"moet tekst zijn, maar is {_type_name(value)}.", event)
        return None
    if _has_hidden_characters(value, allow_newlines):
        out.add(path, "bevat onzichtbare tekens of stuurtekens (bijvoorbeeld een zero-width-teken); "
                "verwijder die.", event)
        return None
    return value


def _parse_date(out: _Collector, raw: str, path: str, event: Optional[int] = None) -> Optional[date]:
    if not _DATE_PATTERN.fullmatch(raw):
        out.add(path, f"{_show(raw)} is geen datum in de vorm JJJJ-MM-DD (bijvoorbeeld 2011-05-09).", event)
        return None
    try:
        parsed = date.fromisoformat(raw)
    except ValueError:
        out.add(path, f"{_show(raw)} bestaat niet in de kalender.", event)
        return None
    if not EARLIEST_DATE <= parsed <= LATEST_DATE:
        out.add(path, f"{_show(raw)} ligt niet tussen 1900 en 2100.", event)
        return None
    return parsed


def _check_keys(
    out: _Collector,
    obj: Mapping[str, Any],
    allowed: tuple[str, ...],
    prefix: str,
    event: Optional[int] = None,
) -> None:
    for key in getattr(obj, "duplicate_keys", ()):
        out.add(prefix + str(key), "staat meer dan één keer in hetzelfde object.", event)
    for key in obj:
        if key not in allowed:
            out.add(
                prefix + str(key),
                f"dit veld is onbekend. Toegestaan zijn: {', '.join(allowed)}.",
                event,
            )


def _parse_contact(out: _Collector, case: Mapping[str, Any]) -> Optional[tuple[str, str, str]]:
    if "contact" not in case:
        out.add("contact", "ontbreekt (een object met name, phone en email).")
        return None
    contact = case["contact"]
    if not isinstance(contact, dict):
        out.add("contact", f"moet een object zijn met name, phone en email, maar is {_type_name(contact)}.")
        return None
    _check_keys(out, contact, CONTACT_FIELDS, "contact.")
    name = _text(out, contact, "name", "contact.name")
    phone = _text(out, contact, "phone", "contact.phone")
    email = _text(out, contact, "email", "contact.email")
    ok = True
    if name is not None:
        name = name.strip()
        if not 2 <= len(name) <= NAME_MAX_LENGTH or not any(c.isalpha() for c in name):
            out.add("contact.name", f"moet een naam zijn van 2 tot {NAME_MAX_LENGTH} tekens, met letters.")
            ok = False
    if phone is not None:
        phone = phone.strip()
        digits = sum(c.isdigit() for c in phone)
        if (
            len(phone) > PHONE_MAX_LENGTH
            or not _PHONE_PATTERN.fullmatch(phone)
            or not PHONE_MIN_DIGITS <= digits <= PHONE_MAX_DIGITS
        ):
            out.add(
                "contact.phone",
                f"{_show(phone)} is geen geldig telefoonnummer: gebruik cijfers, spaties, +, - of "
                f"haakjes, met {PHONE_MIN_DIGITS} tot {PHONE_MAX_DIGITS} cijfers "
                "(bijvoorbeeld 14 020 of 020-1234567).",
            )
            ok = False
    if email is not None:
        email = email.strip()
        if len(email) > EMAIL_MAX_LENGTH or not _EMAIL_PATTERN.fullmatch(email):
            out.add("contact.email", f"{_show(email)} is geen geldig e-mailadres (bijvoorbeeld toegang@gemeente.nl).")
            ok = False
    if not ok or name is None or phone is None or email is None:
        return None
    return (name, phone, email)


def _parse_event(out: _Collector, raw: Any, number: int) -> Optional[EventRecord]:
    path = f"events.{number}"
    if not isinstance(raw, dict):
        out.add(path, f"elke gebeurtenis moet een object zijn met date, type en note, maar deze is "
                f"{_type_name(raw)}.", number)
        return None
    _check_keys(out, raw, EVENT_FIELDS, path + ".", number)
    problems_before = out.count
    raw_date = _text(out, raw, "date", path + ".date", number)
    when = _parse_date(out, raw_date, path + ".date", number) if raw_date is not None else None
    kind = _text(out, raw, "type", path + ".type", number)
    if kind is not None and kind not in STEPS:
        out.add(path + ".type", f"{_show(kind)} is geen bekende stap. Kies uit: {_one_of(STEPS)}.", number)
        kind = None
    note = _text(out, raw, "note", path + ".note", number, allow_newlines=True)
    if note is not None and len(note) > NOTE_MAX_LENGTH:
        out.add(path + ".note", f"is te lang ({len(note)} tekens; hoogstens {NOTE_MAX_LENGTH}).", number)
    outcome: Optional[str] = None
    if kind is not None:
        if kind in STEPS_WITH_OUTCOME:
            outcome = _text(out, raw, "outcome", path + ".outcome", number) if "outcome" in raw else None
            if "outcome" not in raw:
                out.add(
                    path + ".outcome",
                    f"ontbreekt: bij type '{kind}' is een uitkomst verplicht ({_one_of(OUTCOMES)}).",
                    number,
                )
            elif outcome is not None and outcome not in OUTCOMES:
                out.add(path + ".outcome", f"{_show(outcome)} is geen bekende uitkomst. Kies uit: "
                        f"{_one_of(OUTCOMES)}.", number)
        elif "outcome" in raw:
            out.add(
                path + ".outcome",
                f"mag alleen bij {_one_of(STEPS_WITH_OUTCOME)} staan, niet bij '{kind}'.",
                number,
            )
    if out.count != problems_before or when is None or kind is None or note is None:
        return None
    return EventRecord(when, kind, note, outcome)


def _parse_case(out: _Collector, raw: Any, today: date) -> Optional[CaseRecord]:
    if not isinstance(raw, dict):
        out.add(None, f"elke zaak moet een object zijn met de velden {', '.join(CASE_FIELDS)}, "
                f"maar deze is {_type_name(raw)}.")
        return None
    number_raw = raw.get("case_number")
    if isinstance(number_raw, str) and CASE_NUMBER_PATTERN.fullmatch(number_raw):
        out.case_number = number_raw.upper()
    problems_before = out.count
    _check_keys(out, raw, CASE_FIELDS, "")

    number = _text(out, raw, "case_number", "case_number")
    if number is not None and not CASE_NUMBER_PATTERN.fullmatch(number):
        out.add(
            "case_number",
            f"{_show(number)} is geen geldig zaaknummer: gebruik {CASE_NUMBER_MIN_LENGTH} tot "
            f"{CASE_NUMBER_MAX_LENGTH} letters, cijfers of streepjes (-), zonder spaties.",
        )

    birth_raw = _text(out, raw, "birth_date", "birth_date")
    birth = _parse_date(out, birth_raw, "birth_date") if birth_raw is not None else None
    if birth is not None and birth > today:
        out.add("birth_date", f"{_show(birth_raw)} ligt in de toekomst.")

    municipality = _text(out, raw, "municipality", "municipality")
    if municipality is not None and (
        len(municipality) > MUNICIPALITY_MAX_LENGTH or not MUNICIPALITY_PATTERN.fullmatch(municipality)
    ):
        out.add(
            "municipality",
            f"{_show(municipality)} is geen geldige gemeentecode: gebruik de naam van het "
            "configuratiebestand van de gemeente, in kleine letters, cijfers en streepjes "
            "(bijvoorbeeld gemeente-voorbeeld).",
        )

    law = _text(out, raw, "law", "law")
    if law is not None and law not in LAWS:
        out.add("law", f"{_show(law)} is geen bekende wet. Kies uit: {_one_of(LAWS)}.")

    status = _text(out, raw, "status", "status")
    if status is not None and status not in STEPS:
        out.add("status", f"{_show(status)} is geen bekende stap. Kies uit: {_one_of(STEPS)}.")
        status = None

    contact = _parse_contact(out, raw)

    events: list[EventRecord] = []
    if "events" not in raw:
        out.add("events", "ontbreekt (een lijst met gebeurtenissen).")
    elif not isinstance(raw["events"], list):
        out.add("events", f"moet een lijst met gebeurtenissen zijn, maar is {_type_name(raw['events'])}.")
    elif not raw["events"]:
        out.add("events", "moet minstens één gebeurtenis bevatten.")
    else:
        for number_in_list, raw_event in enumerate(raw["events"], start=1):
            parsed = _parse_event(out, raw_event, number_in_list)
            if parsed is not None:
                events.append(parsed)
        if status is not None and len(events) == len(raw["events"]):
            if not any(event.type == status for event in events):
                out.add(
                    "status",
                    f"er is geen gebeurtenis van type '{status}' in 'events'. De datum van de "
                    "huidige stap is nodig om de wettelijke termijn te berekenen.",
                )

    if out.count != problems_before:
        return None
    assert number is not None and birth is not None and municipality is not None
    assert law is not None and status is not None and contact is not None
    return CaseRecord(number.upper(), birth, municipality, law, status, contact, tuple(events))


def parse_payload(obj: Any, today: Optional[date] = None) -> tuple[list[CaseRecord], list[ImportProblem]]:
    """Validate a decoded import file; return the cases, or the problems (then no cases)."""
    today = today or date.today()
    problems: list[ImportProblem] = []
    if not isinstance(obj, dict) or "cases" not in obj:
        return [], [ImportProblem("Het bestand moet één JSON-object zijn met het veld 'cases': "
                                  'een lijst met zaken, zoals {"cases": [ ... ]}.')]
    for key in getattr(obj, "duplicate_keys", ()):
        problems.append(ImportProblem(f"Het veld '{key}' staat meer dan één keer in het bestand.", field=key))
    for key in obj:
        if key != "cases":
            problems.append(ImportProblem(
                f"Het veld '{key}' is onbekend: het bestand mag alleen het veld 'cases' hebben.", field=key))
    if not isinstance(obj["cases"], list):
        problems.append(ImportProblem(
            f"Het veld 'cases' moet een lijst met zaken zijn, maar is {_type_name(obj['cases'])}.",
            field="cases"))
        return [], problems

    records: list[CaseRecord] = []
    first_position: dict[str, int] = {}
    for position, raw in enumerate(obj["cases"], start=1):
        out = _Collector(problems, position)
        record = _parse_case(out, raw, today)
        if out.case_number is not None:
            if out.case_number in first_position:
                out.add(
                    "case_number",
                    f"dit zaaknummer staat ook bij zaak {first_position[out.case_number]}. Elk "
                    "zaaknummer mag maar één keer in het bestand staan (hoofdletters tellen niet).",
                )
                record = None
            else:
                first_position[out.case_number] = position
        if record is not None:
            records.append(record)
    if problems:
        return [], problems
    return records, []


def validate_payload(obj: Any, today: Optional[date] = None) -> list[ImportProblem]:
    """All problems of a decoded import file (an empty list when it is valid)."""
    return parse_payload(obj, today)[1]


def load_file(path: Union[str, Path]) -> tuple[Any, list[ImportProblem]]:
    """Read and decode an import file; problems are Dutch sentences, never tracebacks."""
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None, [ImportProblem(f"Het bestand '{shown}' bestaat niet. Controleer de naam en de map.")]
    except IsADirectoryError:
        return None, [ImportProblem(f"'{shown}' is een map, geen bestand.")]
    except PermissionError:
        return None, [ImportProblem(f"Het bestand '{shown}' mag niet worden gelezen (geen toegang).")]
    except UnicodeDecodeError:
        return None, [ImportProblem(f"Het bestand '{shown}' is geen tekst in UTF-8. Sla het op als UTF-8.")]
    except OSError as error:
        return None, [ImportProblem(f"Het bestand '{shown}' kan niet worden gelezen ({error.strerror}).")]
    try:
        return json.loads(text, object_pairs_hook=_object_pairs), []
    except json.JSONDecodeError as error:
        return None, [ImportProblem(
            f"Het bestand '{shown}' is geen geldige JSON: fout op regel {error.lineno}, kolom "
            f"{error.colno}. Controleer daar de komma's, aanhalingstekens en haakjes.")]
    except RecursionError:
        return None, [ImportProblem(f"Het bestand '{shown}' is te diep genest om te lezen.")]


# --- writing -------------------------------------------------------------------------------


def import_cases(
    source: Union[str, Path, Mapping[str, Any]],
    engine: Optional[Engine] = None,
    today: Optional[date] = None,
) -> ImportReport:
    """Validate and import a file (path) or a decoded payload; all or nothing.

    Returns an :class:`ImportReport`. With problems (bad file, bad values)
    nothing is written. Database errors propagate as SQLAlchemy exceptions,
    after the transaction was rolled back.
    """
    if isinstance(source, (str, Path)):
        payload, problems = load_file(source)
        if problems:
            return ImportReport(problems=tuple(problems))
    else:
        payload = source
    records, problems = parse_payload(payload, today)
    if problems:
        return ImportReport(problems=tuple(problems))

    counts: dict[str, int] = {"inserted": 0, "updated": 0, "unchanged": 0}
    with session_scope(engine or get_engine()) as session:
        contacts: dict[tuple[str, str, str], ContactPerson] = {}
        for record in records:
            counts[_write_case(session, record, contacts)] += 1
        session.flush()
        session.execute(
            delete(ContactPerson)
            .where(~exists().where(Case.contact_id == ContactPerson.id))
            .execution_options(synchronize_session=False)
        )
    return ImportReport(counts["inserted"], counts["updated"], counts["unchanged"])


def import_demo_cases(engine: Optional[Engine] = None) -> ImportReport:
    """Import the fictional demo cases shipped with the package."""
    return import_cases(demo_payload(), engine)


def demo_payload() -> Any:
    """The decoded ``demo_cases.json`` of the package."""
    text = resources.files("bot.cases").joinpath(DEMO_FILE).read_text(encoding="utf-8")
    return json.loads(text, object_pairs_hook=_object_pairs)


def _contact_for(
    session: Session, identity: tuple[str, str, str], cache: dict[tuple[str, str, str], ContactPerson]
) -> ContactPerson:
    contact = cache.get(identity)
    if contact is None:
        name, phone, email = identity
        with session.no_autoflush:  # the case being written may not be complete yet
            contact = session.execute(
                select(ContactPerson).where(
                    ContactPerson.name == name, ContactPerson.phone == phone, ContactPerson.email == email
                )
            ).scalar_one_or_none()
        if contact is None:
            contact = ContactPerson(name=name, phone=phone, email=email)
            session.add(contact)
        cache[identity] = contact
    return contact


def _stored_events(case: Case) -> list[tuple[date, str, str, Optional[str]]]:
    return [(e.event_date, e.type, e.note, e.outcome) for e in sorted(case.events, key=lambda e: e.position)]


def _write_case(
    session: Session, record: CaseRecord, contacts: dict[tuple[str, str, str], ContactPerson]
) -> str:
    """Insert or update one case; returns ``"inserted"``, ``"updated"`` or ``"unchanged"``."""
    case = session.execute(
        select(Case)
        .options(joinedload(Case.contact), selectinload(Case.events))
        .where(Case.case_number == record.case_number)
    ).scalar_one_or_none()
    wanted_events = [(e.date, e.type, e.note, e.outcome) for e in record.events]
    if case is not None:
        same = (
            case.birth_date == record.birth_date
            and case.municipality == record.municipality
            and case.law == record.law
            and case.status == record.status
            and (case.contact.name, case.contact.phone, case.contact.email) == record.contact
            and _stored_events(case) == wanted_events
        )
        if same:
            return "unchanged"
        outcome = "updated"
        case.events.clear()
        session.flush()
    else:
        now = utc_now()
        case = Case(case_number=record.case_number, created_at=now)
        session.add(case)
        outcome = "inserted"
    case.birth_date = record.birth_date
    case.municipality = record.municipality
    case.law = record.law
    case.status = record.status
    case.contact = _contact_for(session, record.contact, contacts)
    case.updated_at = utc_now()
    case.events.extend(
        CaseEvent(position=index, event_date=e.date, type=e.type, note=e.note, outcome=e.outcome)
        for index, e in enumerate(record.events)
    )
    return outcome


def export_cases(engine: Optional[Engine] = None) -> dict[str, Any]:
    """All cases in the import format (round-trips through :func:`import_cases`)."""
    with session_scope(engine or get_engine()) as session:
        cases = session.execute(
            select(Case)
            .options(joinedload(Case.contact), selectinload(Case.events))
            .order_by(Case.case_number)
        ).scalars().all()
        exported = []
        for case in cases:
            events = []
            for event in sorted(case.events, key=lambda e: e.position):
                item: dict[str, Any] = {
                    "date": event.event_date.isoformat(),
                    "type": event.type,
                    "note": event.note,
                }
                if event.outcome is not None:
                    item["outcome"] = event.outcome
                events.append(item)
            exported.append(
                {
                    "case_number": case.case_number,
                    "birth_date": case.birth_date.isoformat(),
                    "municipality": case.municipality,
                    "law": case.law,
                    "status": case.status,
                    "contact": {
                        "name": case.contact.name,
                        "phone": case.contact.phone,
                        "email": case.contact.email,
                    },
                    "events": events,
                }
            )
    return {"cases": exported}
