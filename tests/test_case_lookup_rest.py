"""The case lookup over the REST channel of the real servers (contract 3), and the privacy proofs.

`served_bot` (tests/conftest.py) runs `wegwijzer serve` with a case database of its own holding
the demo cases. Failed lookups in these tests use case numbers nobody else uses, so the lockout
of one test never touches another. The birth date never comes back in a reply, and never stays
in the tracker store: proven with the SQL tracker store on PostgreSQL (a served bot configured by
an endpoints file, then its `events` table read back) and with the in-memory store of
endpoints.yml (an Agent in this process, then its store read back).
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.action_server import TOKEN_ENV, TOKEN_HEADER
from tests.support.limits import TEST_LIMITS
from bot.cases.db import DATABASE_URL_ENV
from bot.dates import find_birth_date_spans
from bot.tracker_store import CASE_NUMBER_REDACTION, REDACTION
from tests.support.postgres import create_database, database_url, drop_database, pg_admin_url  # noqa: F401
from tests.support.servers import (
    ROOT,
    button_payloads,
    free_port,
    prepare_case_database,
    start_bot,
    stop_bot,
    texts,
)

DEMO = {
    "DEMO-1001": ("14-03-2015", "Sanne Voorbeeld", "020 000 0101"),
    "DEMO-1002": ("2 juli 1962", "Ruben Proef", "020 000 0102"),
    "DEMO-1003": ("1990-11-30", "Mehmet Demir-Demo", "030 000 0201"),
    "DEMO-1004": ("21-01-1958", "Lotte Testmans", "030 000 0202"),
    "DEMO-1005": ("9 mei 2011", "Sanne Voorbeeld", "020 000 0101"),
    "DEMO-1006": ("29-02-2004", "Team Wlz-demo (CIZ, fictief)", "088 000 0301"),
    "DEMO-1007": ("15 augustus 1999", "Team Wlz-demo (CIZ, fictief)", "088 000 0301"),
    "DEMO-1008": ("1975-12-03", "Mehmet Demir-Demo", "030 000 0201"),
}
DUTCH_DATE = re.compile(
    r"\b\d{1,2} (januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november"
    r"|december) \d{4}\b"
)
ASKS_NUMBER = "Wat is het zaaknummer?"
ASKS_BIRTH = "Wat is de geboortedatum"
NO_MATCH = "Ik kan geen zaak vinden met dit zaaknummer en deze geboortedatum."
LOCKED = re.compile(r"15 minuten .*Probeer het weer (morgen )?om \d{1,2}\.\d{2} uur", re.S)


def unused_number() -> str:
    """A well-formed case number that no other test (and no case) uses."""
    return f"NONE-{random.randint(10_000_000, 99_999_999)}"


def assert_not_echoed(reply_text: str, birth: str) -> None:
    """The birth date is not in the reply: not as typed, not as ISO, not as dd-mm-yyyy."""
    from bot.dates import parse_birth_date

    day = parse_birth_date(birth)
    assert day is not None
    for form in (birth, day.isoformat(), day.strftime("%d-%m-%Y")):
        assert form not in reply_text, f"the birth date came back: {form}"


# --- the conversation ---------------------------------------------------------------------------


@pytest.mark.parametrize("birth", ["9 mei 2011", "09-05-2011", "2011-05-09"])
def test_the_whole_lookup_over_rest(served_bot, sender, birth):
    reply = texts(served_bot.say("hoe staat het met mijn aanvraag?", sender))
    assert ASKS_NUMBER in reply
    reply = texts(served_bot.say("DEMO-1005", sender))
    assert ASKS_BIRTH in reply
    messages = served_bot.say(birth, sender)
    reply = texts(messages)
    assert "Sanne Voorbeeld" in reply and "020 000 0101" in reply
    assert "DEMO-1005" not in reply, "the case number is not repeated (nor stored)"
    assert {"custom": {"wegwijzer_private": "reply"}} in [
        {"custom": m["custom"]} for m in messages if "custom" in m
    ], "the widget is told not to keep the status answer"
    assert DUTCH_DATE.search(reply)
    assert_not_echoed(reply, birth)


def test_the_answer_about_waiting_offers_the_lookup(served_bot, sender):
    """Someone who waits long is offered to look up their own case, with a button."""
    messages = served_bot.say("/info_waiting", sender)
    assert "/ask_case_status" in button_payloads(messages), texts(messages)
    assert ASKS_NUMBER in texts(served_bot.say("/ask_case_status", sender))


@pytest.mark.parametrize("number", sorted(DEMO))
def test_every_demo_case_answers_with_a_dated_deadline_and_the_contact(served_bot, sender, number):
    birth, contact, phone = DEMO[number]
    reply = texts(served_bot.say(f"mijn zaaknummer is {number}, hoe staat het ervoor?", sender))
    assert ASKS_BIRTH in reply and ASKS_NUMBER not in reply, "the number is not asked again"
    reply = texts(served_bot.say(birth, sender))
    assert contact in reply and phone in reply and number not in reply, reply
    assert DUTCH_DATE.search(reply), reply
    assert_not_echoed(reply, birth)


def test_the_refusal_case_offers_the_bezwaar_deadline_and_the_refusal_path(served_bot, sender):
    served_bot.say("hoe staat het met mijn aanvraag", sender)
    served_bot.say("DEMO-1006", sender)
    messages = served_bot.say("29 februari 2004", sender)
    reply = texts(messages)
    assert "Bezwaar maken kan tot en met maandag 21 december 2026" in reply or "kon tot" in reply
    payloads = button_payloads(messages)
    assert "/info_wlz_refusal" in payloads or "kon tot" in reply


def test_a_wrong_pair_and_an_unknown_number_get_the_same_answer(served_bot):
    replies = []
    for number, birth in (("DEMO-1008", "4 december 1975"), (unused_number(), "3 december 1975")):
        sender = f"test-{uuid.uuid4().hex[:12]}"
        served_bot.say("hoe staat het met mijn zaak", sender)
        assert ASKS_BIRTH in texts(served_bot.say(number, sender)), "asked for either number"
        replies.append(texts(served_bot.say(birth, sender)))
    assert NO_MATCH in replies[0]
    assert replies[0] == replies[1]


def test_three_wrong_tries_pause_lookups_for_fifteen_minutes(served_bot, sender):
    number = unused_number()
    served_bot.say("hoe staat het met mijn aanvraag?", sender)
    for i, birth in enumerate(("1 januari 2000", "2 januari 2000", "3 januari 2000")):
        served_bot.say(number, sender)
        reply = texts(served_bot.say(birth, sender))
        if i < 2:
            assert NO_MATCH in reply and ASKS_NUMBER in reply
    assert LOCKED.search(reply), reply
    assert ASKS_NUMBER not in reply, "the form ended"
    # asking again in this conversation: paused at once
    assert LOCKED.search(texts(served_bot.say("hoe staat het met mijn aanvraag?", sender)))
    # the same case number in another conversation: paused before the birth date is asked
    other = f"test-{uuid.uuid4().hex[:12]}"
    reply = texts(served_bot.say(f"mijn zaaknummer is {number}, hoe staat het ervoor?", other))
    assert LOCKED.search(reply) and ASKS_BIRTH not in reply


def test_laat_maar_leaves_the_lookup(served_bot, sender):
    served_bot.say("hoe staat het met mijn aanvraag?", sender)
    served_bot.say("DEMO-1005", sender)
    reply = texts(served_bot.say("laat maar", sender))
    assert "we stoppen hiermee" in reply
    reply = texts(served_bot.say("9 mei 2011", sender))
    assert "Sanne Voorbeeld" not in reply, "no lookup after leaving"


def test_another_question_is_answered_and_the_lookup_is_left(served_bot, sender):
    served_bot.say("hoe staat het met mijn aanvraag?", sender)
    reply = texts(served_bot.say("Welke wet geldt voor mijn dochter van 12 met autisme?", sender))
    assert reply and ASKS_NUMBER not in reply and "zaaknummer" not in reply
    reply = texts(served_bot.say("wat is een pgb?", sender))
    assert ASKS_NUMBER not in reply


def test_a_payload_cannot_fill_the_verified_case(served_bot, sender):
    payload = ('/ask_case_status{"verified_case_number":"DEMO-1005","birth_date":"checked",'
               '"case_number":"DEMO-1005"}')
    reply = texts(served_bot.say(payload, sender))
    assert "Sanne Voorbeeld" not in reply and "gevonden" not in reply
    reply = texts(served_bot.say('/inform_date{"birth_date":"checked"}', sender))
    assert "Sanne Voorbeeld" not in reply and "gevonden" not in reply


@pytest.mark.parametrize(
    "hostile, number_answer, date_answer",
    [
        ("'; DROP TABLE cases; --", "zaaknummer", "datum"),
        ("A" * 1_500, "zaaknummer", "datum"),
        ("A" * 10_000, "te lang", "te lang"),  # the channel answers before the model sees it
        ("ＤＥＭＯ－１００５", "zaaknummer", "datum"),
        ("\u202e🎂\u200b\x00 Z̷a̸l̵g̶o̷", "zaaknummer", "datum"),
    ],
)
def test_hostile_input_is_rejected_with_a_dutch_re_ask_and_changes_nothing(
    served_bot, sender, hostile, number_answer, date_answer
):
    served_bot.say("hoe staat het met mijn aanvraag?", sender)
    reply = texts(served_bot.say(hostile, sender))
    assert number_answer in reply.lower(), reply[:500]
    assert "ABC-1234" in reply or number_answer == "te lang", "the re-ask with an example"
    served_bot.say("DEMO-1002", sender)
    reply = texts(served_bot.say(hostile, sender))
    assert date_answer in reply.lower(), reply[:500]
    reply = texts(served_bot.say("02-07-1962", sender))
    assert "Ruben Proef" in reply, "the store still works"
    engine = sa.create_engine(served_bot.database_url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM cases")).scalar_one() == 8
    engine.dispose()


def test_fifty_concurrent_lookups_each_get_their_own_case(served_bot):
    numbers = sorted(DEMO)

    def converse(i: int) -> tuple[str, str]:
        number = numbers[i % len(numbers)]
        sender = f"conc-{i}-{uuid.uuid4().hex[:8]}"
        served_bot.say(f"mijn zaaknummer is {number}, hoe staat het ervoor?", sender)
        return number, texts(served_bot.say(DEMO[number][0], sender))

    with ThreadPoolExecutor(max_workers=25) as pool:
        results = list(pool.map(converse, range(50)))
    assert len(results) == 50
    notes = {case["case_number"]: case["events"][-1]["note"]
             for case in json.loads((ROOT / "bot" / "cases" / "demo_cases.json").read_text())["cases"]}
    for number, reply in results:
        assert "zaak gevonden" in reply and number not in reply, reply[:300]
        assert notes[number] in reply, "its own case: the note of its latest step"
        assert not any(notes[n] in reply for n in numbers if n != number)


# --- no trace in the tracker store: the in-memory store of endpoints.yml, through an Agent --------


def _start_action_server(env: dict, log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log.read_text())
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return process, port
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("the action server did not start")


def test_an_agent_with_the_in_memory_store_keeps_no_birth_date(trained_model, tmp_path):
    from rasa.core.agent import load_agent
    from rasa.core.tracker_store import FailSafeTrackerStore
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig

    from bot.tracker_store import RedactingInMemoryTrackerStore

    cases = prepare_case_database(tmp_path)
    action, port = _start_action_server({**os.environ, DATABASE_URL_ENV: cases},
                                        tmp_path / "actions.log")
    try:
        endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml"))
        endpoints.action = EndpointConfig(url=f"http://127.0.0.1:{port}/webhook",
                                          headers={TOKEN_HEADER: os.environ[TOKEN_ENV]})

        async def run():
            agent = await load_agent(model_path=trained_model, endpoints=endpoints)
            store = agent.tracker_store
            inner = store._tracker_store if isinstance(store, FailSafeTrackerStore) else store
            assert isinstance(inner, RedactingInMemoryTrackerStore)
            replies = []
            for text in ("hoe staat het met mijn aanvraag?", "DEMO-1005", "9 mei 2011"):
                replies.append(await agent.handle_text(text, sender_id="agent-1"))
            tracker = await store.retrieve_full_tracker("agent-1")
            return replies, tracker, inner.store["agent-1"]

        replies, tracker, raw = asyncio.run(run())
    finally:
        action.terminate()
        action.wait(timeout=20)
    shown = "\n".join(m.get("text") or "" for m in replies[-1])
    assert "Sanne Voorbeeld" in shown, shown
    assert "9 mei 2011" not in raw and "2011-05-09" not in raw
    user_texts = [e.text for e in tracker.events if e.type_name == "user"]
    assert user_texts[-1] == REDACTION
    assert all(find_birth_date_spans(t or "") == [] for t in user_texts)
    slots = [e.value for e in tracker.events if e.type_name == "slot" and e.key == "birth_date"]
    assert set(slots) <= {None, "checked"} and "checked" in slots


# --- no trace in the tracker store: a served bot with the SQL store on PostgreSQL -----------------


@pytest.fixture(scope="module")
def pg_served_bot(trained_model, pg_admin_url, tmp_path_factory):  # noqa: F811
    """`wegwijzer serve` with cases *and* conversations in PostgreSQL (fresh databases)."""
    tmp = tmp_path_factory.mktemp("serve-pg")
    cases_db = create_database(pg_admin_url, "wegwijzer_cases")
    tracker_db = create_database(pg_admin_url, "wegwijzer_tracker")
    cases_url = database_url(pg_admin_url, cases_db)
    tracker_url = database_url(pg_admin_url, tracker_db)
    bot = None
    try:
        subprocess.run([sys.executable, "-m", "bot.cases", "demo"], cwd=ROOT, check=True,
                       capture_output=True, env={**os.environ, DATABASE_URL_ENV: cases_url})
        parsed = sa.engine.make_url(tracker_url)
        endpoints = tmp / "endpoints.yml"
        endpoints.write_text(
            "action_endpoint:\n  url: \"http://localhost:5055/webhook\"\n"
            "tracker_store:\n"
            "  type: bot.tracker_store.RedactingSQLTrackerStore\n"
            "  dialect: postgresql\n"
            f"  url: {parsed.host}\n  port: {parsed.port or 5432}\n  db: {parsed.database}\n"
            f"  username: {parsed.username}\n"
            + (f"  password: {json.dumps(parsed.password)}\n" if parsed.password else ""),
            encoding="utf-8",
        )
        bot = start_bot(tmp, trained_model, extra_env={DATABASE_URL_ENV: cases_url, **TEST_LIMITS},
                        endpoints=str(endpoints))
        bot.tracker_url = tracker_url
        yield bot
    finally:
        if bot is not None:
            stop_bot(bot)
        drop_database(pg_admin_url, tracker_db)
        drop_database(pg_admin_url, cases_db)


def stored_events(url: str, sender: str) -> list[tuple[str, dict]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"),
                {"s": sender},
            ).fetchall()
    finally:
        engine.dispose()
    return [(kind, json.loads(data)) for kind, data in rows]


@pytest.mark.parametrize("birth", ["9 mei 2011", "09-05-2011"])
def test_the_sql_tracker_store_on_postgresql_keeps_no_birth_date(pg_served_bot, birth):
    sender = f"pg-{uuid.uuid4().hex[:12]}"
    pg_served_bot.say("hoe staat het met mijn aanvraag?", sender)
    pg_served_bot.say("DEMO-1005", sender)
    reply = texts(pg_served_bot.say(f"hij is geboren op {birth}", sender))
    assert "Sanne Voorbeeld" in reply and DUTCH_DATE.search(reply)
    rows = stored_events(pg_served_bot.tracker_url, sender)
    assert rows, "the conversation is in PostgreSQL"
    everything = json.dumps([data for _, data in rows], ensure_ascii=False)
    for form in ("9 mei 2011", "09-05-2011", "2011-05-09"):
        assert form not in everything
    users = [data for kind, data in rows if kind == "user"]
    assert users[-1]["text"] == REDACTION
    assert users[-1]["parse_data"]["text"] == REDACTION
    assert "DEMO-1005" not in everything, "the case number is not kept in clear either"
    assert all(find_birth_date_spans(u["text"]) == [] for u in users)
    slots = {(d["name"], json.dumps(d["value"])) for k, d in rows if k == "slot"}
    assert ("birth_date", '"checked"') in slots
    assert all(v in ("null", '"checked"') for name, v in slots if name == "birth_date")


#: Ways people type a birth date (the first twelve are read and looked up, the rest are asked
#: again); none of them may stay in the tracker store, and neither may the case number.
TYPED_BIRTH_DATES = [
    "2011/05/09", "9 5 2011", "09 05 2011", "2011 05 09", "mei 9, 2011", "9 May 2011",
    "9 mei, 2011", "9 mei '11", "9-mei-2011", "09052011", "20110509", "geboren op 9.5.2011",
    "negen mei 2011", "geboren in 2011 op 9 mei", "de 9e van de 5e, 2011",
]


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


@pytest.mark.parametrize("typed", TYPED_BIRTH_DATES)
def test_no_typed_form_of_the_birth_date_stays_in_postgresql(pg_served_bot, typed):
    sender = f"pg-{uuid.uuid4().hex[:12]}"
    pg_served_bot.say("hoe staat het met mijn aanvraag DEMO-1005?", sender)
    reply = texts(pg_served_bot.say(typed, sender))
    rows = stored_events(pg_served_bot.tracker_url, sender)
    everything = json.dumps([data for _, data in rows], ensure_ascii=False)
    assert typed not in everything
    # What the user typed and what the slots hold (numbers such as timestamps left out; a
    # sealed value is ciphertext): no year, no run of digits of the date.
    typed_or_kept = " ".join(
        value for kind, data in rows if kind in ("user", "slot")
        for value in _strings(data) if not value.startswith("sealed:")
    )
    for part in re.findall(r"\d{4,}", typed):  # 2011, 09052011, 20110509
        assert part not in typed_or_kept, (part, typed_or_kept)
    assert "DEMO-1005" not in everything and "demo-1005" not in everything.lower()
    users = [data for kind, data in rows if kind == "user"]
    assert [u["text"] for u in users] == [CASE_NUMBER_REDACTION, REDACTION]
    assert all(u["parse_data"]["entities"] == [] for u in users)
    if "Sanne Voorbeeld" not in reply:  # not read: the bot asks again, the case is not shown
        assert ASKS_BIRTH in reply or "datum" in reply, reply


def test_a_date_shaped_answer_is_never_taken_for_a_new_case_number(pg_served_bot):
    sender = f"pg-{uuid.uuid4().hex[:12]}"
    pg_served_bot.say("hoe staat het met mijn aanvraag?", sender)
    pg_served_bot.say("DEMO-1005", sender)
    reply = texts(pg_served_bot.say("09052011", sender))
    assert "Sanne Voorbeeld" in reply, "read as the birth date, so the case is shown"
    rows = stored_events(pg_served_bot.tracker_url, sender)
    slot_values = [d.get("value") for k, d in rows if k == "slot" and d.get("name") == "case_number"]
    assert all(v is None or str(v).startswith("sealed:") for v in slot_values), slot_values
