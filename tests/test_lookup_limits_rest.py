"""Rotating conversation ids does not help a guesser: the per-address limit over REST.

A `wegwijzer serve` of its own (a fresh case database, a low per-address limit, and a trusted
proxy header so that the test can speak from several addresses on one machine), driven as a
script would: a new conversation id for every guess.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest

from tests.support.servers import prepare_case_database, start_bot, stop_bot, texts

LIMIT = 4
LOCKED = "Probeer het weer"


@pytest.fixture(scope="module")
def guarded_bot(trained_model, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve-limits")
    cases = prepare_case_database(tmp)
    bot = start_bot(tmp, trained_model, extra_env={
        "WEGWIJZER_DATABASE_URL": cases,
        "WEGWIJZER_TRUSTED_PROXY_HEADER": "X-Forwarded-For",
        "WEGWIJZER_LOOKUP_MAX_FAILURES_PER_CLIENT_PER_HOUR": str(LIMIT),
    })
    yield bot
    stop_bot(bot)


def say(bot, text: str, sender: str, address: str) -> str:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(
        f"{bot.url}/webhooks/rest/webhook", data=body, method="POST",
        # what a client puts left of the proxy's entry is ignored: only the last one counts
        headers={"Content-Type": "application/json", "X-Forwarded-For": f"10.9.9.9, {address}"},
    )
    with urllib.request.urlopen(request, timeout=60) as reply:
        return texts(json.loads(reply.read()))


def lookup(bot, number: str, birth: str, address: str) -> str:
    sender = f"rot-{uuid.uuid4().hex[:10]}"  # a new conversation for every guess
    first = say(bot, f"hoe staat het met zaak {number}?", sender, address)
    if LOCKED in first:  # locked at once: the birth date is not even asked
        return first
    return first + "\n" + say(bot, birth, sender, address)


def test_a_new_conversation_per_guess_is_stopped_by_the_address_limit(guarded_bot):
    guesser = "203.0.113.50"
    for guess in range(LIMIT):
        reply = lookup(guarded_bot, f"GUESS-{guess:04d}", "1 januari 2010", guesser)
        assert "Sanne Voorbeeld" not in reply
    # the next conversation from that address, even with the right pair: paused
    reply = lookup(guarded_bot, "DEMO-1005", "9 mei 2011", guesser)
    assert LOCKED in reply and "Sanne Voorbeeld" not in reply, reply
    # someone else, at another address, is not affected
    reply = lookup(guarded_bot, "DEMO-1005", "9 mei 2011", "198.51.100.40")
    assert "Sanne Voorbeeld" in reply, reply
