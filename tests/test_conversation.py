"""Real conversations over the REST channel with the served assistant (Rasa + action server)."""
import pytest

from tests.support.servers import button_payloads, texts


def test_multi_turn_dutch_conversation(served_bot, sender):
    reply = served_bot.say("Hallo", sender)
    assert "Wegwijzer" in texts(reply)
    assert '/set_audience{"audience":"simple"}' in button_payloads(reply)
    assert "geboortedat" in texts(reply) or "naam" in texts(reply), "privacy notice in the intro"

    reply = served_bot.say("Mijn zoon van 7 heeft autisme. Waar moet ik beginnen om hulp te krijgen?",
                           sender)
    assert "gemeente" in texts(reply).lower()

    reply = served_bot.say("ik snap het niet", sender)
    assert reply, "a simpler explanation"
    assert '/set_audience{"audience":"simple"}' in button_payloads(reply)

    reply = served_bot.say("ik wil een mens spreken", sender)
    assert "gemeente" in texts(reply).lower()
    reply = served_bot.say('/inform_municipality{"municipality":"gemeente-voorbeeld"}', sender)
    assert "0123-456789" in texts(reply), "contact details from config/municipalities"

    reply = served_bot.say("bedankt!", sender)
    assert "Graag gedaan" in texts(reply)


def test_audience_changes_the_answer(served_bot, sender):
    question = "Hoe maak ik bezwaar tegen een besluit?"
    answers = {}
    for audience in ("parent", "simple", "professional"):
        served_bot.say(f'/set_audience{{"audience":"{audience}"}}', sender)
        answers[audience] = texts(served_bot.say(question, sender))
    assert len(set(answers.values())) == 3, answers
    assert "6 weken" in answers["parent"] or "zes weken" in answers["parent"]
    assert "Awb" in answers["professional"]


def test_crisis_answer_comes_first(served_bot, sender):
    reply = served_bot.say("Ik wil niet meer leven, ik kan niet meer", sender)
    text = texts(reply)
    assert "112" in text and "0800-0113" in text and "0800-2000" in text


@pytest.mark.parametrize("message", ["brief", "gemeente", "papieren"])
def test_an_unclear_message_is_never_a_dead_end(served_bot, sender, message):
    """Whether the model falls back (top topics as buttons) or guesses a topic, the user always
    gets a Dutch answer with buttons to go on. The fallback's buttons are unit-tested in
    tests/actions/test_frame_actions.py."""
    reply = served_bot.say(message, sender)
    assert texts(reply).strip()
    assert button_payloads(reply), texts(reply)
