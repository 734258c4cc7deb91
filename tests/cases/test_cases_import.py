"""Import and export against SQLite and PostgreSQL: all-or-nothing, idempotent, round-trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.cases import importer
from bot.cases.db import dispose_engines, get_engine, migrate, session_scope
from bot.cases.importer import export_cases, import_cases, import_demo_cases
from bot.cases.models import Case, CaseEvent, ContactPerson


def _count(engine: Engine, model: Any) -> int:
    with session_scope(engine) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def _snapshot(engine: Engine) -> Any:
    return json.dumps(export_cases(engine), sort_keys=True)


def test_demo_import_and_reimport(engine: Engine) -> None:
    first = import_demo_cases(engine)
    assert (first.inserted, first.updated, first.unchanged) == (8, 0, 0)
    assert first.summary() == "Import gelukt: 8 zaken verwerkt (8 nieuw, 0 bijgewerkt, 0 ongewijzigd)."
    second = import_demo_cases(engine)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 8)
    assert _count(engine, Case) == 8
    assert _count(engine, CaseEvent) == 31
    assert _count(engine, ContactPerson) == 5  # shared contacts are stored once


def test_reimport_updates_case_and_replaces_events(demo_engine: Engine, demo: dict[str, Any]) -> None:
    case = demo["cases"][2]  # DEMO-1003
    case["status"] = "verslag_verstuurd"
    case["events"] = [
        {"date": "2026-08-03", "type": "melding_ontvangen", "note": "Melding (fictief)"},
        {"date": "2026-11-20", "type": "verslag_verstuurd", "note": "Verslag (fictief)"},
    ]
    report = import_cases(demo, demo_engine)
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 7)
    with session_scope(demo_engine) as session:
        stored = session.execute(select(Case).where(Case.case_number == "DEMO-1003")).scalar_one()
        assert stored.status == "verslag_verstuurd"
        assert [(e.event_date.isoformat(), e.type) for e in stored.events] == [
            ("2026-08-03", "melding_ontvangen"), ("2026-11-20", "verslag_verstuurd")
        ]
        assert stored.updated_at > stored.created_at
    assert _count(demo_engine, CaseEvent) == 31 - 3 + 2


def test_case_numbers_are_normalised_to_upper_case(engine: Engine, demo: dict[str, Any]) -> None:
    demo["cases"][0]["case_number"] = "demo-1001"
    assert import_cases(demo, engine).inserted == 8
    with session_scope(engine) as session:
        numbers = session.execute(select(Case.case_number).order_by(Case.case_number)).scalars().all()
    assert numbers[0] == "DEMO-1001"
    demo["cases"][0]["case_number"] = "DEMO-1001"
    assert import_cases(demo, engine).unchanged == 8


def test_a_bad_case_writes_nothing(engine: Engine, demo: dict[str, Any]) -> None:
    demo["cases"][7]["law"] = "participatiewet"
    report = import_cases(demo, engine)
    assert not report.ok and report.inserted == 0
    assert _count(engine, Case) == 0 and _count(engine, ContactPerson) == 0


def test_a_bad_file_leaves_existing_data_alone(demo_engine: Engine, demo: dict[str, Any]) -> None:
    before = _snapshot(demo_engine)
    demo["cases"][0]["status"] = "gesprek_gepland"  # would be an update ...
    demo["cases"][0]["events"].append({"date": "2026-11-20", "type": "gesprek_gepland", "note": "fictief"})
    demo["cases"].append({**demo["cases"][1], "case_number": "NEW-0001", "birth_date": "2011-02-30"})
    report = import_cases(demo, demo_engine)  # ... but the new case is bad
    assert [p.field for p in report.problems] == ["birth_date"]
    assert _snapshot(demo_engine) == before


def test_a_database_failure_midway_rolls_everything_back(
    engine: Engine, demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importer._write_case
    calls = {"n": 0}

    def failing(*args: Any, **kwargs: Any) -> str:
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "_write_case", failing)
    with pytest.raises(RuntimeError):
        import_cases(demo, engine)
    assert _count(engine, Case) == 0 and _count(engine, CaseEvent) == 0


def test_export_round_trips(demo_engine: Engine, demo: dict[str, Any]) -> None:
    exported = export_cases(demo_engine)
    expected = sorted(demo["cases"], key=lambda c: c["case_number"])
    assert exported == {"cases": expected}
    assert import_cases(exported, demo_engine).unchanged == 8
    assert export_cases(demo_engine) == exported


def test_export_import_into_a_second_database(demo_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export_cases(demo_engine), ensure_ascii=False), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'second.db'}"
    try:
        migrate(url)
        other = get_engine(url)
        assert import_cases(path, other).inserted == 8
        assert export_cases(other) == export_cases(demo_engine)
    finally:
        dispose_engines(url)


def test_event_file_order_is_kept_and_lookup_sorts_by_date(engine: Engine, demo: dict[str, Any]) -> None:
    case = demo["cases"][1]  # DEMO-1002: put the later event first in the file
    case["events"].reverse()
    import_cases({"cases": [case]}, engine)
    assert export_cases(engine)["cases"][0]["events"] == case["events"]


def test_orphaned_contacts_are_removed(demo_engine: Engine, demo: dict[str, Any]) -> None:
    for case in demo["cases"]:
        case["contact"] = {"name": "Eén Contact", "phone": "14 020", "email": "toegang@gemeente.example"}
    report = import_cases(demo, demo_engine)
    assert report.updated == 8
    assert _count(demo_engine, ContactPerson) == 1


def test_import_from_file(engine: Engine, demo: dict[str, Any], write_json: Callable[[Any], Path]) -> None:
    assert import_cases(write_json(demo), engine).inserted == 8
    assert import_cases(str(write_json(demo)), engine).unchanged == 8


def test_byte_order_mark_is_accepted(engine: Engine, demo: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(demo).encode("utf-8"))
    assert import_cases(path, engine).inserted == 8


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "bestaat niet"),
        ("{\"cases\": [", "geen geldige JSON: fout op regel 1"),
        ("{\"cases\": []}\n}", "geen geldige JSON"),
        ("", "geen geldige JSON"),
        (b"\xff\xfe{}", "geen tekst in UTF-8"),
        ("DIR", "is een map"),
        ('{"cases": [], "cases": []}', "'cases' staat meer dan één keer"),
        ("[" * 100_000 + "]" * 100_000, "te diep genest"),
    ],
    ids=["missing", "truncated", "trailing", "empty", "not-utf8", "directory", "duplicate-key", "deep"],
)
def test_unreadable_files_give_one_dutch_message(
    engine: Engine, tmp_path: Path, content: Any, fragment: str
) -> None:
    path = tmp_path / "input.json"
    if content == "DIR":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    report = import_cases(path, engine)
    assert not report.ok
    assert any(fragment in str(problem) for problem in report.problems), [str(p) for p in report.problems]
    assert _count(engine, Case) == 0


def test_duplicate_key_inside_a_case_is_named(engine: Engine, write_json: Callable[[Any], Path]) -> None:
    text = json.dumps(importer.demo_payload()).replace(
        '"law": "jeugdwet"', '"law": "jeugdwet", "law": "wmo"', 1
    )
    report = import_cases(write_json(text), engine)
    assert [str(p) for p in report.problems] == [
        "Zaak 1 (DEMO-1001), veld 'law': staat meer dan één keer in hetzelfde object."
    ]


def test_hostile_values_in_a_file_change_nothing(demo_engine: Engine, demo: dict[str, Any]) -> None:
    before = _snapshot(demo_engine)
    demo["cases"][0]["case_number"] = "'; DROP TABLE cases; --"
    demo["cases"][1]["municipality"] = "x'); DELETE FROM cases; --"
    demo["cases"][2]["contact"]["name"] = "Robert\u202e'); DROP TABLE contact_persons;--"
    demo["cases"][3]["case_number"] = "A" * 10_000
    report = import_cases(demo, demo_engine)
    assert {(p.case_position, p.field) for p in report.problems} == {
        (1, "case_number"), (2, "municipality"), (3, "contact.name"), (4, "case_number")
    }
    assert all(len(str(p)) < 400 for p in report.problems)  # long values are shortened
    assert _snapshot(demo_engine) == before
