"""Several servers, one conversation (issue 7, contract 6).

Two Rasa servers (`wegwijzer serve --production`) and two action servers (`wegwijzer actions
--production`), all with endpoints.prod.yml against this machine's PostgreSQL (a database of this
run: conversations and cases) and Redis (a key prefix of this run). The turns of one conversation
go alternately to server A and server B, and each server uses its own action server. The
conversation must go on as if there were one server: the audience chosen on B holds on A, "ik snap
het niet" on B simplifies what A said, a form asked on A continues on B. Then A is killed
mid-conversation and B carries on alone. At the end the tracker store holds one unforked
conversation with every turn once.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from bot.web.channel import UNAVAILABLE_ANSWER
from tests.support import production as prod
from tests.support.servers import ServedBot, free_port, texts

pytestmark = pytest.mark.timeout(3000)

CASE_NUMBER = "DEMO-1005"
BIRTH_DATE_TEXT = "9 mei 2011"


@dataclass
class Cluster:
    a: ServedBot
    b: ServedBot
    actions: list
    db_name: str
    responses: prod.Responses
    domain: dict


@pytest.fixture(scope="module")
def cluster(trained_model, prod_database, demo_cases, redis, key_prefix, prod_tmp):
    actions, bots = [], []
    try:
        for _ in range(2):
            port = free_port()
            env = prod.production_env(prod_database, key_prefix, f"http://127.0.0.1:{port}/webhook")
            actions.append(prod.start_actions(prod_tmp, env, port))
        for action_server in actions:  # both load their model at the same time
            env = prod.production_env(prod_database, key_prefix, action_server.url)
            bots.append(prod.launch_production_bot(prod_tmp, trained_model, env))
        for bot in bots:
            prod.wait_healthy(bot)
        domain = prod.model_domain(trained_model)
        yield Cluster(bots[0], bots[1], actions, prod_database, prod.Responses(domain), domain)
    finally:
        for bot in bots:
            prod.stop_production_bot(bot)
        for action_server in actions:
            prod.stop_actions(action_server)


def say(bot: ServedBot, text: str, sender: str) -> list[dict]:
    messages = bot.say(text, sender)
    assert messages, f"no answer to {text!r}"
    assert texts(messages) != UNAVAILABLE_ANSWER, f"{text!r} got the failure answer:\n{bot.log()[-3000:]}"
    # what the user sees: custom-only messages (the widget's privacy markers) show no bubble
    return [m for m in messages if "text" in m or "custom" not in m]


def http_get(url: str) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=30) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def ask_texts(domain: dict, responses: prod.Responses, slot_index: int) -> set[str]:
    """Every text with which the form asks its n-th required slot (any audience)."""
    slots = domain["forms"]["case_lookup_form"].get("required_slots") or []
    if len(slots) <= slot_index:
        return set()
    slot = slots[slot_index]
    found: set[str] = set()
    for name in (f"utter_ask_case_lookup_form_{slot}", f"utter_ask_{slot}"):
        for variants in responses.by_name.get(name, {}).values():
            found.update(variants)
    return found


def test_one_conversation_across_two_servers_and_a_failover(cluster: Cluster):
    a, b, responses = cluster.a, cluster.b, cluster.responses
    sender = f"multi-{uuid.uuid4().hex[:12]}"
    sent: list[str] = []

    def turn(bot: ServedBot, text: str) -> list[dict]:
        sent.append(text)
        return say(bot, text, sender)

    # 1. A greets (default audience: parent).
    greeting = turn(a, "Hallo")
    assert greeting[0]["text"].strip() in responses.variants("utter_greet", "parent")

    # 2. B switches the audience (the page's toggle sends this payload).
    switched = turn(b, '/set_audience{"audience":"professional"}')
    assert switched[0]["text"].strip() in responses.variants("utter_audience_set", "professional")

    # 3. A answers a knowledge question in the audience chosen on B.
    answer = turn(a, "Waar moet ik beginnen als mijn kind veel zorg nodig heeft?")
    first = answer[0]["text"].strip()
    assert responses.audience_of(first) == {"professional"}, first
    (explained,) = responses.names_of(first)

    # 4. "Ik snap het niet" on B (its own action server) simplifies what A said.
    simpler = turn(b, "ik snap het niet")
    assert simpler[0]["text"].strip() in responses.variants(explained, "simple"), texts(simpler)

    # 5. A case lookup form started on A and continued on B.
    asked = turn(a, "Hoe staat het met mijn aanvraag?")
    assert asked[-1]["text"].strip() in ask_texts(cluster.domain, responses, slot_index=0), texts(asked)
    # 6. A dies while the form waits for the case number; B continues the form.
    prod.stop_production_bot(a, kill=True)
    asked_date = turn(b, CASE_NUMBER)
    assert asked_date[-1]["text"].strip() in ask_texts(cluster.domain, responses, slot_index=1), \
        texts(asked_date)
    status = turn(b, BIRTH_DATE_TEXT)
    shown = texts(status)
    assert "Sanne Voorbeeld" in shown and CASE_NUMBER not in shown, shown  # the number is not repeated
    assert BIRTH_DATE_TEXT not in shown and "2011-05-09" not in shown, "the birth date is never echoed"
    assert not a.alive()

    # 7. B carries on alone, still in the audience chosen earlier.
    later = turn(b, "Welke wet geldt voor mij?")
    assert responses.audience_of(later[0]["text"]) == {"professional"}, texts(later)
    assert b.alive()

    # The chat server answers only the chat: no Rasa HTTP API next to it.
    for path in ("/status", "/version", f"/conversations/{sender}/tracker", "/model/parse"):
        assert http_get(b.url + path)[0] == 404, path

    # 8. The tracker store holds one conversation, not two forks: one session, every turn once,
    #    in the order sent, each followed by the bot's answer.
    events = prod.stored_events(cluster.db_name, sender)
    user_texts = [e.get("text") for e in events if e["event"] == "user"]
    assert len(user_texts) == len(sent), user_texts
    for stored_text, sent_text in zip(user_texts, sent):
        if sent_text == BIRTH_DATE_TEXT:
            assert stored_text == "[geboortedatum verwijderd]", "the birth date stays out of the store"
        elif stored_text == "[zaaknummer verwijderd]":  # a turn of the case lookup: replaced whole
            assert sent_text in ("Hoe staat het met mijn aanvraag?", CASE_NUMBER) or CASE_NUMBER in sent_text
        else:
            assert stored_text == sent_text
    assert CASE_NUMBER not in " ".join(str(e) for e in events), "no case number in the store"
    assert sum(e["event"] == "session_started" for e in events) == 1
    for index, event in enumerate(events):
        if event["event"] == "user":
            assert any(e["event"] == "bot" for e in events[index + 1:]), "a turn without an answer"
    stored = " ".join(str(e) for e in events)
    assert "2011-05-09" not in stored and BIRTH_DATE_TEXT not in stored, "birth date stored"



def test_the_production_action_servers_refuse_forged_requests(cluster: Cluster):
    """The attack of the security review against `wegwijzer actions --production` on PostgreSQL."""
    import json
    import os
    import urllib.error
    import urllib.request

    from bot.action_server import TOKEN_ENV, TOKEN_HEADER

    forged = {
        "next_action": "action_show_case_status", "sender_id": "x", "version": "3.6.2", "domain": {},
        "tracker": {"sender_id": "x", "slots": {"verified_case_number": CASE_NUMBER,
                                                "birth_date": "checked"},
                    "latest_message": {}, "events": [], "active_loop": {}},
    }

    def call(url: str, headers: dict) -> tuple[int, str]:
        request = urllib.request.Request(url, data=json.dumps(forged).encode(), method="POST",
                                         headers={"Content-Type": "application/json", **headers})
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    for action_server in cluster.actions:
        status, body = call(action_server.url, {})
        assert status == 401 and "Sanne" not in body
        status, body = call(action_server.url, {TOKEN_HEADER: os.environ[TOKEN_ENV]})
        assert status == 200 and json.loads(body)["responses"] == [], body
