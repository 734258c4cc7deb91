"""Every validation rule of contract 2, each with a Dutch message naming case and field."""

from __future__ import annotations

from datetime import date
from typing import Any, Callable, Optional

import pytest

from bot.cases.importer import ImportProblem, validate_payload

TODAY = date(2026, 11, 23)
POSITION = 3  # the mutated case: DEMO-1003, third in the demo file
Mutation = Callable[[dict[str, Any]], None]


def _set(key: str, value: Any) -> Mutation:
    return lambda case: case.__setitem__(key, value)


def _drop(key: str) -> Mutation:
    return lambda case: case.pop(key)


def _contact(key: str, value: Any = None, drop: bool = False) -> Mutation:
    def mutate(case: dict[str, Any]) -> None:
        if drop:
            case["contact"].pop(key)
        else:
            case["contact"][key] = value

    return mutate


def _event(key: str, value: Any = None, drop: bool = False, number: int = 2) -> Mutation:
    def mutate(case: dict[str, Any]) -> None:
        event = case["events"][number - 1]
        if drop:
            event.pop(key)
        else:
            event[key] = value

    return mutate


def _decision_without_outcome(kind: str) -> Mutation:
    def mutate(case: dict[str, Any]) -> None:
        case["events"][1] = {"date": "2026-08-10", "type": kind, "note": "Besluit (fictief)."}

    return mutate


# (id, mutation, field, fragment of the Dutch message)
CASES: list[tuple[str, Mutation, str, str]] = [
    ("unknown-field", _set("extra", 1), "extra", "onbekend"),
    *[(f"missing-{name}", _drop(name), name, "ontbreekt") for name in
      ("case_number", "birth_date", "municipality", "law", "status", "contact", "events")],
    ("number-too-short", _set("case_number", "AB1"), "case_number", "geen geldig zaaknummer"),
    ("number-too-long", _set("case_number", "A" * 33), "case_number", "geen geldig zaaknummer"),
    ("number-underscore", _set("case_number", "AB_1234"), "case_number", "geen geldig zaaknummer"),
    ("number-space", _set("case_number", "AB 1234"), "case_number", "geen geldig zaaknummer"),
    ("number-sql", _set("case_number", "'; DROP TABLE cases; --"), "case_number", "geen geldig zaaknummer"),
    ("number-fullwidth", _set("case_number", "DEMO-\uff11\uff10\uff10\uff13"), "case_number",
     "geen geldig zaaknummer"),
    ("number-zero-width", _set("case_number", "DEMO-10\u200b03"), "case_number", "onzichtbare tekens"),
    ("number-not-text", _set("case_number", 1003), "case_number", "moet tekst zijn"),
    ("birth-format", _set("birth_date", "09-05-2011"), "birth_date", "JJJJ-MM-DD"),
    ("birth-fullwidth", _set("birth_date", "\uff12\uff10\uff11\uff11-05-09"), "birth_date", "JJJJ-MM-DD"),
    ("birth-feb-30", _set("birth_date", "2011-02-30"), "birth_date", "bestaat niet"),
    ("birth-month-13", _set("birth_date", "2011-13-01"), "birth_date", "bestaat niet"),
    ("birth-future", _set("birth_date", "2027-01-01"), "birth_date", "toekomst"),
    ("birth-too-old", _set("birth_date", "1850-01-01"), "birth_date", "1900"),
    ("birth-null", _set("birth_date", None), "birth_date", "moet tekst zijn"),
    ("municipality-name", _set("municipality", "Gemeente Voorbeeld"), "municipality", "gemeentecode"),
    ("municipality-empty", _set("municipality", ""), "municipality", "gemeentecode"),
    ("law-upper", _set("law", "WMO"), "law", "geen bekende wet"),
    ("law-unknown", _set("law", "participatiewet"), "law", "geen bekende wet"),
    ("status-unknown", _set("status", "onbekend"), "status", "geen bekende stap"),
    ("status-without-event", _set("status", "afgesloten"), "status", "geen gebeurtenis van type"),
    ("contact-not-object", _set("contact", "Jan"), "contact", "moet een object zijn"),
    ("contact-missing-name", _contact("name", drop=True), "contact.name", "ontbreekt"),
    ("contact-unknown-field", _contact("fax", "020 000 0000"), "contact.fax", "onbekend"),
    ("contact-name-empty", _contact("name", ""), "contact.name", "naam"),
    ("contact-name-digits", _contact("name", "12"), "contact.name", "naam"),
    ("contact-phone-letters", _contact("phone", "bel maar"), "contact.phone", "telefoonnummer"),
    ("contact-phone-short", _contact("phone", "12"), "contact.phone", "telefoonnummer"),
    ("contact-phone-long", _contact("phone", "+31 20 000 0000 0000 00"), "contact.phone", "telefoonnummer"),
    ("contact-email-plain", _contact("email", "geen-email"), "contact.email", "e-mailadres"),
    ("contact-email-no-domain", _contact("email", "a@b"), "contact.email", "e-mailadres"),
    ("contact-email-space", _contact("email", "a b@c.nl"), "contact.email", "e-mailadres"),
    ("events-not-list", _set("events", {}), "events", "moet een lijst"),
    ("events-empty", _set("events", []), "events", "minstens één"),
    ("event-not-object", lambda c: c["events"].__setitem__(1, "gesprek"), "events.2", "moet een object"),
    ("event-unknown-field", _event("who", "consulent"), "events.2.who", "onbekend"),
    ("event-missing-date", _event("date", drop=True), "events.2.date", "ontbreekt"),
    ("event-bad-date", _event("date", "2026-11-31"), "events.2.date", "bestaat niet"),
    ("event-date-format", _event("date", "10 augustus 2026"), "events.2.date", "JJJJ-MM-DD"),
    ("event-bad-type", _event("type", "gesprek"), "events.2.type", "geen bekende stap"),
    ("event-missing-type", _event("type", drop=True), "events.2.type", "ontbreekt"),
    ("event-missing-note", _event("note", drop=True), "events.2.note", "ontbreekt"),
    ("event-note-not-text", _event("note", 5), "events.2.note", "moet tekst zijn"),
    ("event-note-rtl-override", _event("note", "abc\u202edef"), "events.2.note", "onzichtbare tekens"),
    ("event-note-too-long", _event("note", "x" * 2001), "events.2.note", "te lang"),
    ("outcome-not-allowed", _event("outcome", "toegekend"), "events.2.outcome", "mag alleen"),
    ("outcome-missing-besluit", _decision_without_outcome("besluit_genomen"), "events.2.outcome",
     "uitkomst verplicht"),
    ("outcome-missing-bezwaar", _decision_without_outcome("beslissing_op_bezwaar"), "events.2.outcome",
     "uitkomst verplicht"),
    ("outcome-unknown", lambda c: c["events"].__setitem__(1, {
        "date": "2026-08-10", "type": "besluit_genomen", "note": "x", "outcome": "goedgekeurd"}),
     "events.2.outcome", "geen bekende uitkomst"),
    ("duplicate-number", _set("case_number", "demo-1001"), "case_number", "ook bij zaak 1"),
]


def _find(problems: list[ImportProblem], field: str) -> Optional[ImportProblem]:
    return next((p for p in problems if p.field == field), None)


@pytest.mark.parametrize(("mutation", "field", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule_is_reported_in_dutch_with_case_and_field(
    demo: dict[str, Any], mutation: Mutation, field: str, fragment: str
) -> None:
    mutation(demo["cases"][POSITION - 1])
    problems = validate_payload(demo, today=TODAY)
    problem = _find(problems, field)
    assert problem is not None, [str(p) for p in problems]
    message = str(problem)
    assert problem.case_position == POSITION
    assert message.startswith(f"Zaak {POSITION}")
    if field.startswith("events.") and field.count(".") >= 1 and field.split(".")[1].isdigit():
        number = field.split(".")[1]
        assert f"gebeurtenis {number}" in message
        if field.count(".") == 2:
            assert f"veld '{field.split('.')[-1]}'" in message
    else:
        assert f"veld '{field}'" in message
    assert fragment in message, message


def test_case_is_named_by_number_when_readable(demo: dict[str, Any]) -> None:
    demo["cases"][2]["law"] = "wet"
    (problem,) = validate_payload(demo, today=TODAY)
    assert problem.case_number == "DEMO-1003"
    assert problem.message.startswith("Zaak 3 (DEMO-1003), veld 'law':")


def test_case_is_named_by_position_when_number_unreadable(demo: dict[str, Any]) -> None:
    demo["cases"][2]["case_number"] = "'; DROP TABLE cases; --"
    (problem,) = validate_payload(demo, today=TODAY)
    assert problem.case_number is None
    assert problem.message.startswith("Zaak 3, veld 'case_number':")
    assert "DROP TABLE" in problem.message  # the bad value is shown (quoted) to help the user


def test_all_problems_are_reported_at_once(demo: dict[str, Any]) -> None:
    demo["cases"][0]["law"] = "wet"
    demo["cases"][4]["birth_date"] = "2011-02-30"
    demo["cases"][7]["contact"]["email"] = "nee"
    problems = validate_payload(demo, today=TODAY)
    assert [(p.case_position, p.field) for p in problems] == [
        (1, "law"), (5, "birth_date"), (8, "contact.email")
    ]


def test_demo_payload_is_valid(demo: dict[str, Any]) -> None:
    assert validate_payload(demo, today=TODAY) == []


def test_outcome_is_accepted_for_both_decision_types(demo: dict[str, Any]) -> None:
    case = demo["cases"][6]  # DEMO-1007: afgewezen, bezwaar ontvangen
    case["events"].append(
        {"date": "2026-11-20", "type": "beslissing_op_bezwaar", "note": "fictief", "outcome": "deels_toegekend"}
    )
    case["status"] = "beslissing_op_bezwaar"
    assert validate_payload(demo, today=TODAY) == []


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ([], "moet één JSON-object zijn"),
        ({}, "moet één JSON-object zijn"),
        ({"zaken": []}, "moet één JSON-object zijn"),
        ({"cases": [], "version": 2}, "'version' is onbekend"),
        ({"cases": {"a": 1}}, "moet een lijst met zaken zijn"),
        ({"cases": ["DEMO-1001"]}, "Zaak 1: elke zaak moet een object zijn"),
    ],
)
def test_file_level_problems(payload: Any, fragment: str) -> None:
    problems = validate_payload(payload, today=TODAY)
    assert problems and any(fragment in str(p) for p in problems), [str(p) for p in problems]


def test_empty_case_list_is_valid() -> None:
    assert validate_payload({"cases": []}) == []
