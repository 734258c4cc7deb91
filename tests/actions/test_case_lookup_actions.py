"""The case lookup's actions (actions/case_lookup.py) with rasa_sdk's Tracker, on a real case store.

Every test gets a fresh SQLite file named by WEGWIJZER_DATABASE_URL, migrated and loaded with the
demo cases by the importer; the PostgreSQL tests get a fresh database on the local server (skipped
with the reason where none runs, failing under WEGWIJZER_REQUIRE_SERVICES=1). "Today" is fixed
(WEGWIJZER_TODAY) so that the deadlines of the demo cases are known.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.case_lookup import (
    BIRTH_DATE,
    CASE_NUMBER,
    CHECKED,
    FORM,
    VERIFIED,
    ActionShowCaseStatus,
    ValidateCaseLookupForm,
    find_birth_date,
    find_case_number,
    until_phrase,
)
from bot import case_status
from bot.action_server import TOKEN_ENV, TOKEN_HEADER
from bot.cases.db import DATABASE_URL_ENV, dispose_engines, get_engine, migrate
from bot.cases.importer import import_demo_cases
from bot.cases.models import Case, LookupAttempt
from bot.cases.repository import is_locked
from bot.cases.views import CaseView, ContactView, EventView
from bot.cases.vocab import STEPS
from bot.plain_language import check
from bot.sealed_slots import is_sealed, seal, unseal
from tests.support.postgres import pg_admin_url, pg_database_url  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-23"

#: The demo cases (bot/cases/demo_cases.json) with their birth dates.
DEMO_BIRTH_DATES = {
    "DEMO-1001": "2015-03-14",
    "DEMO-1002": "1962-07-02",
    "DEMO-1003": "1990-11-30",
    "DEMO-1004": "1958-01-21",
    "DEMO-1005": "2011-05-09",
    "DEMO-1006": "2004-02-29",
    "DEMO-1007": "1999-08-15",
    "DEMO-1008": "1975-12-03",
}
DUTCH_DATE = re.compile(
    r"\b\d{1,2} (januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november"
    r"|december) \d{4}\b"
)
AUDIENCES = ("parent", "simple", "professional")


# --- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("WEGWIJZER_TODAY", TODAY)


def _load_demo(url: str) -> None:
    migrate(url)
    report = import_demo_cases(get_engine(url))
    assert report.ok, report.summary()


@pytest.fixture
def case_db(tmp_path, monkeypatch) -> str:
    """WEGWIJZER_DATABASE_URL → a migrated SQLite file with the demo cases."""
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    _load_demo(url)
    yield url
    dispose_engines(url)


@pytest.fixture
def pg_case_db(pg_database_url, monkeypatch) -> str:  # noqa: F811
    """WEGWIJZER_DATABASE_URL → a fresh PostgreSQL database with the demo cases."""
    monkeypatch.setenv(DATABASE_URL_ENV, pg_database_url)
    _load_demo(pg_database_url)
    return pg_database_url


def new_sender() -> str:
    return f"unit-{uuid.uuid4().hex[:12]}"


def form_state(
    text: str,
    intent: str,
    requested: str | None,
    slots: dict[str, Any] | None = None,
    sender: str | None = None,
    activating: bool = False,
    confidence: float = 1.0,
    between: list[dict] | None = None,
) -> dict[str, Any]:
    """The tracker state Rasa sends to ``validate_case_lookup_form`` (as a dict).

    ``activating``: the run on the message that starts the form (an ``active_loop`` event after
    the user message).  ``between``: events after the user message, before the form runs again
    (an unhappy path: another action answered).
    """
    user = {
        "event": "user",
        "text": text,
        "parse_data": {"text": text, "intent": {"name": intent, "confidence": confidence},
                       "entities": []},
    }
    events: list[dict] = [{"event": "action", "name": "action_listen"}, user,
                          {"event": "action", "name": "action_extract_slots"}]
    if activating:
        events.append({"event": "active_loop", "name": FORM})
    events.extend(between or [])
    events += [
        {"event": "slot", "name": "requested_slot", "value": requested},
        {"event": "action", "name": FORM},
    ]
    all_slots = {"audience": "parent", CASE_NUMBER: None, BIRTH_DATE: None, VERIFIED: None,
                 "requested_slot": requested, **(slots or {})}
    for name in (CASE_NUMBER, VERIFIED):  # the actions keep case numbers sealed in the slots
        if isinstance(all_slots[name], str) and not is_sealed(all_slots[name]):
            all_slots[name] = seal(all_slots[name])
    return {
        "sender_id": sender or new_sender(),
        "slots": all_slots,
        "latest_message": {"text": text, "intent": {"name": intent, "confidence": confidence},
                           "entities": [],
                           "intent_ranking": [{"name": intent, "confidence": confidence}]},
        "events": events,
        "paused": False,
        "followup_action": None,
        "active_loop": {"name": FORM},
        "latest_action_name": FORM,
    }


def validate(domain, state: dict[str, Any]) -> tuple[CollectingDispatcher, dict[str, Any], list]:
    """Run the validation action; returns (dispatcher, the slots it set, the raw events)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateCaseLookupForm().run(dispatcher, Tracker.from_dict(state), domain))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    for name in (CASE_NUMBER, VERIFIED):  # sealed for the tracker store; the tests read them open
        if slots.get(name) is not None:
            assert is_sealed(slots[name]), f"{name} left the action unsealed: {slots[name]!r}"
            slots[name] = unseal(slots[name])
    return dispatcher, slots, events


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("response") for m in dispatcher.messages]


#: The conversation of the latest look_up(): the case store binds a verification to it.
_last_lookup: dict[str, str | None] = {"sender": None}


def show(domain, slots: dict[str, Any], audience: str = "parent", sender: str | None = None):
    """Run the status action in the conversation of the lookup that gave ``slots``."""
    sender = sender or _last_lookup["sender"]
    state = form_state("", "inform_date", None, slots={"audience": audience, **slots}, sender=sender)
    state["active_loop"] = {}
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionShowCaseStatus().run(dispatcher, Tracker.from_dict(state), domain))
    return dispatcher, events


def text_of(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def look_up(domain, number: str, birth_text: str, sender: str | None = None):
    """Answer the birth date question for ``number``; returns validate()'s result."""
    sender = sender or new_sender()
    state = form_state(birth_text, "inform_date", BIRTH_DATE, slots={CASE_NUMBER: number},
                       sender=sender)
    _last_lookup["sender"] = sender  # show() runs the status action in the same conversation
    return validate(domain, state)


def attempts(url: str) -> int:
    with get_engine(url).connect() as connection:
        return connection.execute(select(func.count()).select_from(LookupAttempt)).scalar_one()


def case_count(url: str) -> int:
    with get_engine(url).connect() as connection:
        return connection.execute(select(func.count()).select_from(Case)).scalar_one()


# --- reading the answers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("DEMO-1005", "DEMO-1005"),
        ("demo-1005", "DEMO-1005"),
        ("mijn dossiernummer is 2024-0457 hoe staat het ervoor", "2024-0457"),
        ("Zaaknummer: Z-2024-00981.", "Z-2024-00981"),
        ("het is 88231", "88231"),
        ("ik heb in 2024 een melding gedaan", None),  # a year is no case number
        ("laat maar", None),
        ("stop", None),  # no digit
        ("09-05-2011", None),  # a date
        ("DEMO-1005 geboren 09-05-2011", "DEMO-1005"),
        ("'; DROP TABLE cases; --", None),
        ("A" * 10_000, None),
        ("ＤＥＭＯ－１００５", None),  # full-width look-alikes
        ("DEMO-1005" + "-X" * 20, None),  # more than 32 characters
    ],
)
def test_case_numbers_are_read_from_the_text(text, expected):
    assert find_case_number(text) == expected


@pytest.mark.parametrize(
    "text",
    ["9 mei 2011", "09-05-2011", "2011-05-09", "9-5-2011", "hij is geboren op 9 mei 2011",
     "09/05/2011"],
)
def test_birth_dates_in_the_three_formats(text):
    assert find_birth_date(text) == date(2011, 5, 9)


@pytest.mark.parametrize(
    "text",
    ["9 mei", "31-02-2011", "9 mei 2031", "1 januari 1850", "09-05-11", "'; DROP TABLE cases; --",
     "9 mei 2011 of 10 mei 2011", "x" * 10_000, "\u202e1102-50-90", "🎂🎂🎂", "\x00\x01"],
)
def test_impossible_or_ambiguous_birth_dates_are_refused(text):
    assert find_birth_date(text) is None


# --- the form ---------------------------------------------------------------------------------------


def test_a_case_number_in_the_first_message_is_taken_without_asking(domain, case_db):
    state = form_state("mijn dossiernummer is DEMO-1005 hoe staat het ervoor", "ask_case_status",
                       None, activating=True)
    dispatcher, slots, _ = validate(domain, state)
    assert slots[CASE_NUMBER] == "DEMO-1005"
    assert slots[BIRTH_DATE] is None and slots[VERIFIED] is None
    assert "requested_slot" not in slots, "the form goes on to ask the birth date"
    assert dispatcher.messages == []


def test_a_birth_date_in_the_first_message_is_not_used(domain, case_db):
    state = form_state("DEMO-1005 geboren 9 mei 2011", "ask_case_status", None, activating=True)
    _, slots, _ = validate(domain, state)
    assert slots[CASE_NUMBER] == "DEMO-1005"
    assert slots[BIRTH_DATE] is None, "the birth date is asked after the lock check"
    assert attempts(case_db) == 0


def test_starting_without_a_number_forgets_an_earlier_lookup(domain, case_db):
    state = form_state("hoe staat het met mijn aanvraag?", "ask_case_status", None,
                       slots={CASE_NUMBER: "DEMO-1001", BIRTH_DATE: CHECKED, VERIFIED: "DEMO-1001"},
                       activating=True)
    _, slots, _ = validate(domain, state)
    assert slots[CASE_NUMBER] is None and slots[BIRTH_DATE] is None and slots[VERIFIED] is None


def test_the_case_number_answer_is_normalised(domain, case_db):
    _, slots, _ = validate(domain, form_state("het is demo-1005", "inform_case_number", CASE_NUMBER))
    assert slots == {CASE_NUMBER: "DEMO-1005"}


@pytest.mark.parametrize("text", ["9 mei 2011", "09-05-2011", "2011-05-09"])
def test_the_right_pair_verifies_the_case_and_the_slot_holds_no_date(domain, case_db, text):
    dispatcher, slots, events = look_up(domain, "DEMO-1005", text)
    assert slots[BIRTH_DATE] == CHECKED
    assert slots[VERIFIED] == "DEMO-1005"
    assert dispatcher.messages == []
    dumped = json.dumps(events)
    for form in ("2011-05-09", "09-05-2011", "9 mei 2011"):
        assert form not in dumped


def test_a_wrong_pair_and_an_unknown_number_get_the_same_answer(domain, case_db):
    wrong_pair = look_up(domain, "DEMO-1005", "10 mei 2011")
    unknown = look_up(domain, "NOPE-9999", "9 mei 2011")
    for dispatcher, slots, _ in (wrong_pair, unknown):
        assert responses(dispatcher) == ["utter_case_no_match"]
        assert slots == {BIRTH_DATE: None, CASE_NUMBER: None, VERIFIED: None}
    assert wrong_pair[0].messages == unknown[0].messages


def test_three_wrong_tries_lock_the_conversation_and_name_the_time(domain, case_db):
    sender = new_sender()
    for birth in ("1 mei 2011", "2 mei 2011"):
        dispatcher, _, _ = look_up(domain, "DEMO-1005", birth, sender=sender)
        assert responses(dispatcher) == ["utter_case_no_match"]
    dispatcher, slots, _ = look_up(domain, "DEMO-1004", "3 mei 2011", sender=sender)
    assert responses(dispatcher) == ["utter_case_lookup_locked"]
    assert re.fullmatch(r"om \d{1,2}\.\d{2} uur", dispatcher.messages[0]["until"])
    assert slots["requested_slot"] is None, "the form ends"
    assert slots[BIRTH_DATE] is None and slots[VERIFIED] is None
    # the right pair in the same conversation: still locked, and no case is shown
    dispatcher, slots, _ = look_up(domain, "DEMO-1005", "9 mei 2011", sender=sender)
    assert responses(dispatcher) == ["utter_case_lookup_locked"]
    assert slots[VERIFIED] is None
    # starting again in this conversation: locked at once, nothing is asked
    state = form_state("hoe staat het met mijn aanvraag", "ask_case_status", None, sender=sender,
                       activating=True)
    dispatcher, slots, _ = validate(domain, state)
    assert responses(dispatcher) == ["utter_case_lookup_locked"]
    assert slots["requested_slot"] is None


def test_a_locked_case_number_is_refused_before_the_birth_date_is_asked(domain, case_db):
    for birth in ("1 mei 2011", "2 mei 2011", "3 mei 2011"):  # three other conversations
        look_up(domain, "DEMO-1005", birth)
    state = form_state("DEMO-1005", "inform_case_number", CASE_NUMBER)
    dispatcher, slots, _ = validate(domain, state)
    assert responses(dispatcher) == ["utter_case_lookup_locked"]
    assert slots["requested_slot"] is None and slots[CASE_NUMBER] is None
    # another case number in a fresh conversation is not affected
    _, slots, _ = validate(domain, form_state("DEMO-1006", "inform_case_number", CASE_NUMBER))
    assert slots == {CASE_NUMBER: "DEMO-1006"}


def test_the_lock_time_is_local_dutch_time():
    now = datetime(2026, 11, 23, 19, 0, tzinfo=timezone.utc)
    assert until_phrase(now + timedelta(minutes=15), now) == "om 20.15 uur"  # CET = UTC+1
    late = datetime(2026, 11, 23, 22, 55, tzinfo=timezone.utc)
    assert until_phrase(late + timedelta(minutes=15), late) == "morgen om 0.10 uur"


HOSTILE = [
    "'; DROP TABLE cases; --",
    "Robert'); DELETE FROM lookup_attempts;--",
    "A" * 10_000,
    "ＤＥＭＯ－１００５",
    "\u202eDEMO\u200b",
    "🎂🎂🎂🎂",
    "\x00\x01\x02",
    "Z̷̢͈a̸l̵g̶o̷",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_case_numbers_get_a_dutch_re_ask_and_change_nothing(domain, case_db, text):
    before = (case_count(case_db), attempts(case_db))
    state = form_state(text, "nlu_fallback", CASE_NUMBER, confidence=0.3)
    dispatcher, slots, _ = validate(domain, state)
    assert responses(dispatcher) == ["utter_case_number_invalid"]
    assert slots == {CASE_NUMBER: None}
    assert (case_count(case_db), attempts(case_db)) == before


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_birth_dates_get_a_dutch_re_ask_and_change_nothing(domain, case_db, text):
    before = (case_count(case_db), attempts(case_db))
    state = form_state(text, "out_of_scope", BIRTH_DATE, slots={CASE_NUMBER: "DEMO-1005"},
                       confidence=0.9)
    dispatcher, slots, _ = validate(domain, state)
    assert responses(dispatcher) == ["utter_birth_date_invalid"]
    assert slots == {BIRTH_DATE: None}
    assert (case_count(case_db), attempts(case_db)) == before


def test_an_impossible_birth_date_is_asked_again_without_a_lookup(domain, case_db):
    for text in ("31-02-2011", "9 mei", "9 mei 2099"):
        state = form_state(text, "inform_date", BIRTH_DATE, slots={CASE_NUMBER: "DEMO-1005"})
        dispatcher, slots, _ = validate(domain, state)
        assert responses(dispatcher) == ["utter_birth_date_invalid"], text
        assert slots == {BIRTH_DATE: None}
    assert attempts(case_db) == 0


def test_a_date_instead_of_the_case_number_is_explained(domain, case_db):
    dispatcher, slots, _ = validate(domain, form_state("09-05-2011", "inform_date", CASE_NUMBER))
    assert responses(dispatcher) == ["utter_case_number_is_a_date"]
    assert slots == {CASE_NUMBER: None}


def test_not_knowing_the_case_number_gets_help(domain, case_db):
    state = form_state("ik weet mijn zaaknummer niet", "inform_case_number", CASE_NUMBER)
    dispatcher, slots, _ = validate(domain, state)
    assert responses(dispatcher) == ["utter_case_number_help"]
    assert slots == {CASE_NUMBER: None}


def test_a_new_case_number_while_the_birth_date_is_asked_replaces_the_number(domain, case_db):
    state = form_state("sorry, het is DEMO-1006", "inform_case_number", BIRTH_DATE,
                       slots={CASE_NUMBER: "DEMO-1005"})
    dispatcher, slots, _ = validate(domain, state)
    assert slots == {CASE_NUMBER: "DEMO-1006"}
    assert dispatcher.messages == []


@pytest.mark.parametrize("requested", [CASE_NUMBER, BIRTH_DATE])
def test_stop_extracts_nothing_so_the_shared_stop_rule_runs(domain, case_db, requested):
    state = form_state("laat maar", "stop", requested, slots={CASE_NUMBER: "DEMO-1005"})
    dispatcher, slots, _ = validate(domain, state)
    assert slots == {} and dispatcher.messages == []


@pytest.mark.parametrize("requested", [CASE_NUMBER, BIRTH_DATE])
def test_another_question_extracts_nothing_so_the_form_rejects(domain, case_db, requested):
    state = form_state("welke wet geldt voor mijn kind van 12?", "info_which_law", requested,
                       slots={CASE_NUMBER: "DEMO-1005"}, confidence=0.93)
    dispatcher, slots, _ = validate(domain, state)
    assert slots == {} and dispatcher.messages == []


def test_after_the_other_answer_the_form_ends_without_a_case(domain, case_db):
    state = form_state("welke wet geldt voor mijn kind van 12?", "info_which_law", BIRTH_DATE,
                       slots={CASE_NUMBER: "DEMO-1005"},
                       between=[{"event": "action", "name": "utter_info_which_law"}])
    dispatcher, slots, _ = validate(domain, state)
    assert slots == {CASE_NUMBER: None, BIRTH_DATE: None, VERIFIED: None, "requested_slot": None}
    assert dispatcher.messages == []
    dispatcher, _ = show(domain, slots)
    assert dispatcher.messages == [], "the status action says nothing without a verified case"


def test_after_a_word_is_explained_the_form_goes_on(domain, case_db):
    state = form_state("wat is een beschikking", "ask_term", CASE_NUMBER,
                       between=[{"event": "action", "name": "action_explain_term"}])
    _, slots, _ = validate(domain, state)
    assert slots.get("requested_slot", "unset") != None  # noqa: E711 - not ended


# --- the status answer ------------------------------------------------------------------------------


@pytest.mark.parametrize("number", sorted(DEMO_BIRTH_DATES))
@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_demo_case_gets_a_dated_deadline_and_the_contact(domain, case_db, number, audience):
    birth = date.fromisoformat(DEMO_BIRTH_DATES[number])
    _, slots, _ = look_up(domain, number, birth.strftime("%d-%m-%Y"))
    assert slots[VERIFIED] == number
    dispatcher, events = show(domain, slots, audience)
    text = text_of(dispatcher)
    assert DUTCH_DATE.search(text), text
    case = case_status.load_case(get_engine(case_db), number)
    assert case.contact.name in text and case.contact.phone in text and case.contact.email in text
    assert birth.isoformat() not in text and birth.strftime("%d-%m-%Y") not in text
    cleared = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert cleared[CASE_NUMBER] is None and cleared[BIRTH_DATE] is None and cleared[VERIFIED] is None


def test_the_overdue_case_says_so_and_what_to_do(domain, case_db):
    _, slots, _ = look_up(domain, "DEMO-1003", "30-11-1990")
    dispatcher, _ = show(domain, slots)
    text = text_of(dispatcher)
    assert "maandag 14 september 2026" in text and "te laat" in text
    assert "Mehmet Demir-Demo" in text
    payloads = [b["payload"] for m in dispatcher.messages for b in m.get("buttons") or []]
    assert "/info_late_decision" in payloads


def test_the_refusal_case_gives_the_bezwaar_deadline_and_the_refusal_path(domain, case_db):
    _, slots, _ = look_up(domain, "DEMO-1006", "29 februari 2004")
    dispatcher, events = show(domain, slots)
    text = text_of(dispatcher)
    assert "Bezwaar maken kan tot en met maandag 21 december 2026" in text
    assert "28 dagen" in text
    payloads = [b["payload"] for m in dispatcher.messages for b in m.get("buttons") or []]
    assert "/info_wlz_refusal" in payloads and "/ask_bezwaar_letter" in payloads
    slots_set = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots_set["decision_date"] == "2026-11-09" and slots_set["decision_maker"] == "ciz"


def test_the_bezwaar_case_gives_the_decision_term_with_the_committee_for_professionals(
    domain, case_db
):
    _, slots, _ = look_up(domain, "DEMO-1007", "15-08-1999")
    dispatcher, _ = show(domain, slots, "professional")
    text = text_of(dispatcher)
    assert "maandag 21 december 2026" in text and "Awb art. 7:10" in text
    assert "12 weken" in text and "maandag 1 februari 2027" in text


def test_the_municipalitys_own_jeugdwet_term_is_used(domain, case_db):
    _, slots, _ = look_up(domain, "DEMO-1001", "14 maart 2015")
    dispatcher, _ = show(domain, slots, "professional")
    text = text_of(dispatcher)
    # melding 19 November 2026 + 6 weeks (gemeente-voorbeeld's verordening), not 8
    assert "donderdag 31 december 2026" in text and "verordening" in text


def test_the_status_action_needs_a_checked_birth_date(domain, case_db):
    dispatcher, events = show(domain, {VERIFIED: "DEMO-1005", BIRTH_DATE: None})
    assert dispatcher.messages == []
    dispatcher, _ = show(domain, {VERIFIED: None, BIRTH_DATE: CHECKED})
    assert dispatcher.messages == []


def test_the_lookup_slots_cannot_be_filled_from_entities_or_payloads(domain):
    for slot in (CASE_NUMBER, BIRTH_DATE, VERIFIED):
        assert domain["slots"][slot]["mappings"] == [{"type": "custom"}], slot
        assert slot not in domain.get("entities", [])
    assert domain["forms"][FORM]["required_slots"] == [CASE_NUMBER, BIRTH_DATE]


# --- every step, every audience: the texts pass the plain-language gates -------------------------


def _case(law: str, status: str, outcome: str | None = None, days_ago: int = 3) -> CaseView:
    today = date.fromisoformat(TODAY)
    events: list[EventView] = [EventView(today - timedelta(days=90), "melding_ontvangen", "")]
    if status == "bezwaar_ontvangen":
        events.append(EventView(today - timedelta(days=40), "besluit_genomen", "", "afgewezen"))
    if status in ("zorg_gestart", "afgesloten"):
        events.append(EventView(today - timedelta(days=60), "besluit_genomen", "", "toegekend"))
    if status != "melding_ontvangen":
        events.append(EventView(today - timedelta(days=days_ago), status, "", outcome))
    return CaseView(
        case_number="TEST-0001", municipality="gemeente-anders", law=law, status=status,
        contact=ContactView("Anna de Vries", "030 000 0000", "a.devries@anders.example"),
        events=tuple(events), updated_at=datetime(2026, 11, 1, tzinfo=timezone.utc),
    )


def _all_cases():
    for law in ("wmo", "jeugdwet", "wlz", "zvw"):
        for status in STEPS:
            outcomes = (
                ("toegekend", "deels_toegekend", "afgewezen")
                if status in ("besluit_genomen", "beslissing_op_bezwaar") else (None,)
            )
            for outcome in outcomes:
                for days_ago in (3, 200):
                    yield _case(law, status, outcome, days_ago)


def test_every_step_has_a_text_and_every_answer_passes_the_gates():
    today = date.fromisoformat(TODAY)
    failures = []
    for case in _all_cases():
        for audience in AUDIENCES:
            answer = case_status.status_answer(case, audience, today)
            assert "Anna de Vries" in answer.text and "030 000 0000" in answer.text
            if case.law != "zvw":
                assert DUTCH_DATE.search(answer.text), (case.law, case.status, answer.text)
            for message in answer.messages:
                assert "{" not in message.text, message.text
                problems = check(message.text, audience) if audience != "professional" else []
                if problems:
                    failures.append((case.law, case.status, audience, message.text, problems))
    assert not failures, "\n".join(map(str, failures[:10]))


def test_the_deadline_table_follows_the_law():
    today = date.fromisoformat(TODAY)
    plans = {
        ("wmo", "melding_ontvangen"): "wmo_onderzoek",
        ("wmo", "aanvraag_ontvangen"): "wmo_beschikking",
        ("jeugdwet", "aanvraag_ontvangen"): "awb_beslistermijn",
        ("wlz", "aanvraag_ontvangen"): "ciz",
        ("wlz", "onderzoek_gestart"): "ciz",
        ("wmo", "besluit_genomen"): "bezwaar",
        ("wmo", "bezwaar_ontvangen"): "beslissing_op_bezwaar",
        ("wmo", "beslissing_op_bezwaar"): "beroep",
        ("wmo", "verslag_verstuurd"): "wmo_beschikking",
    }
    for (law, status), term in plans.items():
        plan = case_status.plan_deadline(_case(law, status, "afgewezen"), today)
        assert plan is not None and plan.deadline.term.key == term, (law, status)
    assert case_status.plan_deadline(_case("zvw", "aanvraag_ontvangen"), today) is None
    # Jeugdwet without a local term: the Awb's 8 weeks
    plan = case_status.plan_deadline(_case("jeugdwet", "aanvraag_ontvangen"), today)
    assert plan.deadline.term.weeks == 8 and plan.local_weeks is None


# --- concurrency -------------------------------------------------------------------------------


async def _verify_all(domain, count: int) -> list[tuple[str, str, str]]:
    """``count`` lookups at once, each its own conversation: (expected, verified, shown text)."""
    numbers = sorted(DEMO_BIRTH_DATES)

    async def one(i: int) -> tuple[str, str, str]:
        number = numbers[i % len(numbers)]
        birth = date.fromisoformat(DEMO_BIRTH_DATES[number]).strftime("%d-%m-%Y")
        state = form_state(birth, "inform_date", BIRTH_DATE, slots={CASE_NUMBER: number},
                           sender=f"concurrent-{i}-{uuid.uuid4().hex[:6]}")
        dispatcher = CollectingDispatcher()
        events = await ValidateCaseLookupForm().run(dispatcher, Tracker.from_dict(state), domain)
        slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
        shown = CollectingDispatcher()
        show_state = form_state("", "inform_date", None, slots=slots, sender=state["sender_id"])
        await ActionShowCaseStatus().run(shown, Tracker.from_dict(show_state), domain)
        return number, unseal(slots.get(VERIFIED)), text_of(shown)

    return list(await asyncio.gather(*(one(i) for i in range(count))))


def _assert_each_got_its_own_case(results):
    assert len(results) == 50
    for expected, verified, text in results:
        assert verified == expected
        assert "zaak gevonden" in text and expected not in text, "the number is not repeated"


def test_fifty_concurrent_lookups_each_get_their_own_case(domain, case_db):
    _assert_each_got_its_own_case(asyncio.run(_verify_all(domain, 50)))


def test_fifty_concurrent_lookups_on_postgresql(domain, pg_case_db):
    _assert_each_got_its_own_case(asyncio.run(_verify_all(domain, 50)))


# --- the lockout on PostgreSQL, across two action servers ---------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_action_server(url: str, tmp_path: Path) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    log = (tmp_path / f"actions-{port}.log").open("w")
    env = {**os.environ, DATABASE_URL_ENV: url, "WEGWIJZER_TODAY": TODAY}
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError((tmp_path / f"actions-{port}.log").read_text())
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return process, port
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("action server did not start")


def _call(port: int, action: str, state: dict, domain: dict) -> dict:
    body = json.dumps({"next_action": action, "sender_id": state["sender_id"], "tracker": state,
                       "domain": domain, "version": "3.6.21"}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhook", data=body,
        headers={"Content-Type": "application/json", TOKEN_HEADER: os.environ[TOKEN_ENV]},
    )
    with urllib.request.urlopen(request, timeout=60) as reply:
        return json.loads(reply.read())


def test_the_lockout_holds_across_two_action_servers_on_postgresql(domain, pg_case_db, tmp_path):
    servers = [_start_action_server(pg_case_db, tmp_path) for _ in range(2)]
    try:
        sender = new_sender()
        ports = [port for _, port in servers]
        answers = []
        for i, birth in enumerate(("1 mei 2011", "2 mei 2011", "3 mei 2011")):
            state = form_state(birth, "inform_date", BIRTH_DATE, slots={CASE_NUMBER: "DEMO-1005"},
                               sender=sender)
            reply = _call(ports[i % 2], f"validate_{FORM}", state, domain)
            answers.append([r.get("response") for r in reply["responses"]])
        assert answers == [["utter_case_no_match"], ["utter_case_no_match"],
                           ["utter_case_lookup_locked"]]
        # the right pair, on either server, in this conversation or another: locked
        for port, who in ((ports[1], sender), (ports[0], new_sender())):
            state = form_state("9 mei 2011", "inform_date", BIRTH_DATE,
                               slots={CASE_NUMBER: "DEMO-1005"}, sender=who)
            reply = _call(port, f"validate_{FORM}", state, domain)
            assert [r.get("response") for r in reply["responses"]] == ["utter_case_lookup_locked"]
            slots = {e["name"]: e["value"] for e in reply["events"] if e["event"] == "slot"}
            assert slots.get(VERIFIED) is None
        # and a third process (this one, its own engine) sees the same lock in the database
        assert is_locked(get_engine(pg_case_db), sender, "DEMO-1005").locked
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=20)


# --- the proof lives in the case store, not in the slots -----------------------------------------


def test_forged_slots_without_a_lookup_show_nothing(domain, case_db):
    for verified in ("DEMO-1005", seal("DEMO-1005")):
        dispatcher, events = show(domain, {VERIFIED: verified, BIRTH_DATE: CHECKED},
                                  sender=new_sender())
        assert dispatcher.messages == [], "no verification in the store for this conversation"


def test_the_status_answer_is_marked_private_for_the_widget(domain, case_db):
    look_up(domain, "DEMO-1005", "9 mei 2011")
    dispatcher, _ = show(domain, {VERIFIED: "DEMO-1005", BIRTH_DATE: CHECKED})
    assert dispatcher.messages[0]["custom"] == {"wegwijzer_private": "reply"}
    assert "Sanne Voorbeeld" in text_of(dispatcher)


@pytest.mark.parametrize("typed", ["09052011", "20110509", "9-mei-2011", "2011/05/09", "9 5 2011"])
def test_a_date_shaped_answer_to_the_date_question_is_read_as_the_date(domain, case_db, typed):
    dispatcher, slots, _ = look_up(domain, "DEMO-1005", typed)
    assert slots[BIRTH_DATE] == CHECKED and slots[VERIFIED] == "DEMO-1005", (typed, slots)
    assert CASE_NUMBER not in slots or slots[CASE_NUMBER] in (None, "DEMO-1005")


def test_the_requesters_address_reaches_the_per_client_limit(domain, case_db):
    from bot.cases.repository import RULES

    for guess in range(RULES["client"].threshold):
        state = form_state("10 mei 2011", "inform_date", BIRTH_DATE,
                           slots={CASE_NUMBER: f"NUM-{guess:04d}"}, sender=new_sender())
        state["latest_message"]["metadata"] = {"client_address": "203.0.113.99"}
        validate(domain, state)
    state = form_state("9 mei 2011", "inform_date", BIRTH_DATE, slots={CASE_NUMBER: "DEMO-1005"},
                       sender=new_sender())
    state["latest_message"]["metadata"] = {"client_address": "203.0.113.99"}
    dispatcher, slots, _ = validate(domain, state)
    assert responses(dispatcher) == ["utter_case_lookup_locked"] and slots[VERIFIED] is None
