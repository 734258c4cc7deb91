"""Bad input gets a clear Dutch answer, and the server keeps running."""
import json

import pytest

from tests.support.servers import texts


@pytest.mark.parametrize("message, expected", [
    ("", "leeg"),
    ("   \n\t ", "leeg"),
    ("x" * 10_000, "te lang"),
])
def test_empty_and_huge_messages_get_a_dutch_answer(served_bot, sender, message, expected):
    reply = served_bot.say(message, sender)
    assert expected in texts(reply)
    assert served_bot.alive()


@pytest.mark.parametrize("message", [
    "<script>alert('x')</script> waar begin ik?",
    "😀😀😀 🙏",
    "'; DROP TABLE cases; --",
    "\u202eＨＡＬＬＯ\u0000\u200b",
    "ik wil hulp " * 150,
])
def test_odd_messages_get_a_normal_answer(served_bot, sender, message):
    reply = served_bot.say(message, sender)
    assert reply and texts(reply).strip(), "some Dutch answer"
    assert served_bot.alive()


@pytest.mark.parametrize("raw", [
    b"not json",
    b"[]",
    json.dumps({"message": "hallo"}).encode(),
    json.dumps({"sender": "a b c <x>", "message": "hallo"}).encode(),
    json.dumps({"sender": "ok", "message": 42}).encode(),
    json.dumps({"sender": "s" * 500, "message": "hallo"}).encode(),
])
def test_malformed_requests_get_400_with_a_dutch_reason(served_bot, raw):
    status, body = served_bot.post(None, "", raw=raw)
    assert status == 400
    assert "error" in body
    assert served_bot.alive()


def test_server_still_answers_after_all_of_that(served_bot, sender):
    assert "Wegwijzer" in texts(served_bot.say("hallo", sender))
