"""The refusal conversation over REST, through the real servers (`wegwijzer serve`).

The servers run with WEGWIJZER_TODAY fixed (bot.dates.today), so "3 november" always means
Tuesday 3 November 2026 and its bezwaar deadline is still ahead. The expected dates are computed
here with bot.dates and bot.deadlines, the same modules the actions use.
"""
from __future__ import annotations

import json
from datetime import date

import pytest

from bot.dates import TODAY_ENV, format_date, parse_date
from bot.deadlines import compute_deadline
from tests.support.servers import button_payloads, start_bot, stop_bot, texts

TODAY = date(2026, 11, 23)
FIRST_MESSAGE = "Het CIZ heeft afgewezen, de brief is van 3 november"
DECISION = parse_date("3 november", today=TODAY)
LAST_DAY = format_date(compute_deadline("bezwaar", DECISION).date)  # dinsdag 15 december 2026


@pytest.fixture(scope="module")
def bot(trained_model, tmp_path_factory):
    served = start_bot(tmp_path_factory.mktemp("serve-refusal"), trained_model,
                       extra_env={TODAY_ENV: TODAY.isoformat()})
    yield served
    stop_bot(served)


def set_audience(bot, sender, audience):
    bot.say("/set_audience" + json.dumps({"audience": audience}), sender)


def asks_the_date(reply) -> bool:
    return "/stop" in button_payloads(reply) and "datum" in texts(reply)


def test_the_expected_date():
    assert LAST_DAY == "dinsdag 15 december 2026"


@pytest.mark.parametrize("audience", ["parent", "simple", "professional"])
def test_refusal_with_the_date_gets_the_last_day_and_a_complete_plan(bot, sender, audience):
    set_audience(bot, sender, audience)
    reply = bot.say(FIRST_MESSAGE, sender)
    text = texts(reply)
    assert LAST_DAY in text, text
    assert format_date(DECISION) in text
    assert "22 dagen" in text
    assert not asks_the_date(reply), "the date was in the message: the form must not ask it"
    for part in ("CIZ", "Jeugdwet", "Wmo", "16", "Het Juiste Loket"):
        assert part in text, part
    payloads = button_payloads(reply)
    for payload in ("/find_clientondersteuning", "/info_which_law", "/ask_bezwaar_letter"):
        assert payload in payloads, payload

    letter = texts(bot.say("/ask_bezwaar_letter", sender))
    assert LAST_DAY in letter and format_date(DECISION) in letter
    assert "Aan: het CIZ" in letter and "naam]" in letter


def test_refusal_without_a_date_asks_it_then_gives_the_last_day(bot, sender):
    first = bot.say("ciz zegt nee wat nu", sender)
    assert asks_the_date(first), texts(first)
    assert LAST_DAY not in texts(first)
    answer = bot.say("3 november", sender)
    assert LAST_DAY in texts(answer)
    assert "/ask_bezwaar_letter" in button_payloads(answer)


def test_a_date_in_the_future_is_asked_again(bot, sender):
    assert asks_the_date(bot.say("ciz zegt nee wat nu", sender))
    again = bot.say("de brief is van 14-12-2026", sender)
    assert "toekomst" in texts(again) and asks_the_date(again)


def test_laat_maar_leaves_the_form(bot, sender):
    assert asks_the_date(bot.say("ciz zegt nee wat nu", sender))
    reply = bot.say("laat maar", sender)
    assert "we stoppen hiermee" in texts(reply)
    after = bot.say("welke wet geldt voor mijn kind van 10?", sender)
    assert texts(after) and not asks_the_date(after)


def test_another_question_half_way_is_answered_and_the_form_is_left(bot, sender):
    assert asks_the_date(bot.say("ciz zegt nee wat nu", sender))
    reply = bot.say("welke wet geldt voor mijn kind van 10?", sender)
    assert "Jeugdwet" in texts(reply)
    assert not asks_the_date(reply)


def test_the_deadline_question_with_a_date(bot, sender):
    reply = bot.say("tot wanneer kan ik bezwaar maken als de brief van 3 november is?", sender)
    assert LAST_DAY in texts(reply)
