"""The refusal conversation's actions (actions/refusal.py), run with rasa_sdk's Tracker and dispatcher.

"Today" is fixed with WEGWIJZER_TODAY (read by bot.dates.today) at Monday 23 November 2026.
Responses are rendered the way Rasa's NLG does: the audience's variant, {placeholders} filled
from the values the action passes.
"""
from __future__ import annotations

import asyncio
import re
from datetime import date

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.refusal import (
    ActionBezwaarDeadline,
    ActionBezwaarLetter,
    ActionRefusalPlan,
    ValidateBezwaarDeadlineForm,
    ValidateRefusalForm,
)
from bot import dates
from bot.responses import AUDIENCES, pick_variant
from tests.actions.helpers import make_tracker, run_action

TODAY = "2026-11-23"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv(dates.TODAY_ENV, TODAY)


def render(domain: dict, message: dict, audience: str) -> dict:
    """The text and buttons a user of ``audience`` sees for one dispatched message."""
    if message.get("text"):
        return {"text": message["text"], "buttons": message.get("buttons") or []}
    variant = pick_variant(domain["responses"], message["response"], audience)
    assert variant, f"no {audience} variant of {message['response']}"
    text = re.sub(r"{([^\n{}]+?)}", lambda m: str(message[m.group(1)]), variant["text"])
    return {"text": text, "buttons": message.get("buttons") or variant.get("buttons") or []}


def rendered(domain, dispatcher, audience="parent") -> list[dict]:
    return [render(domain, m, audience) for m in dispatcher.messages]


def all_text(domain, dispatcher, audience="parent") -> str:
    return "\n".join(m["text"] for m in rendered(domain, dispatcher, audience))


def payloads(domain, dispatcher, audience="parent") -> list[str]:
    return [b["payload"] for m in rendered(domain, dispatcher, audience) for b in m["buttons"]]


def names(dispatcher) -> list[str]:
    return [m.get("response") for m in dispatcher.messages]


def slot_events(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def form_tracker(text, intent, *, active=True, form="refusal_form", events=None, slots=None):
    """A tracker as the form's validation action gets it: active or being activated."""
    tracker = make_tracker(
        text, intent, events=events,
        slots={"requested_slot": "decision_date" if active else None, **(slots or {})},
    )
    tracker.active_loop = {"name": form} if active else {}
    return tracker


def validate(tracker, domain, action=None):
    dispatcher = CollectingDispatcher()
    events = asyncio.run((action or ValidateRefusalForm()).run(dispatcher, tracker, domain))
    return dispatcher, events


# --- the date: extraction and validation ---------------------------------------------------------


def test_today_comes_from_the_environment(monkeypatch):
    assert dates.today() == date(2026, 11, 23)
    monkeypatch.setenv(dates.TODAY_ENV, "geen datum")
    assert dates.today() == date.today()


def test_the_date_in_the_first_message_fills_the_slot_so_the_form_does_not_ask(domain):
    tracker = form_tracker(
        "Het CIZ heeft afgewezen, de brief is van 3 november", "info_wlz_refusal", active=False)
    dispatcher, events = validate(tracker, domain)
    assert slot_events(events) == {"decision_date": "2026-11-03", "decision_maker": "ciz"}
    assert dispatcher.messages == []


def test_at_activation_the_message_date_replaces_an_earlier_unknown(domain):
    # Rasa's first validation call at activation: the form already marked active in this turn,
    # the earlier value as the candidate to validate.
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "de brief is van 13-11-2026"},
        {"event": "active_loop", "name": "bezwaar_deadline_form"},
        {"event": "slot", "name": "requested_slot", "value": None},
        {"event": "action", "name": "bezwaar_deadline_form"},
        {"event": "slot", "name": "decision_date", "value": "unknown"},
    ]
    tracker = form_tracker("de brief is van 13-11-2026", "inform_date", form="bezwaar_deadline_form",
                           events=events, slots={"requested_slot": None, "decision_date": "unknown"})
    _, events = validate(tracker, domain, ValidateBezwaarDeadlineForm())
    assert slot_events(events)["decision_date"] == "2026-11-13"


def test_without_a_date_the_first_message_empties_an_earlier_date(domain):
    tracker = form_tracker("ciz zegt nee wat nu, geen idee", "info_wlz_refusal", active=False,
                           slots={"decision_date": "2026-10-01"})
    _, events = validate(tracker, domain)
    assert slot_events(events)["decision_date"] is None


@pytest.mark.parametrize("text, expected", [
    ("3 november", "2026-11-03"),
    ("3 nov", "2026-11-03"),
    ("de brief is van 14-10-2026", "2026-10-14"),
    ("3/11/2026", "2026-11-03"),
    ("2026-11-03", "2026-11-03"),
    ("03-11-2026", "2026-11-03"),
    ("gisteren", "2026-11-22"),
    ("vorige week dinsdag", "2026-11-17"),
    ("1e november", "2026-11-01"),
    ("het was 28 oktober", "2026-10-28"),
    ("14 december", "2025-12-14"),  # a day and month without a year: the most recent one
])
def test_the_answer_to_the_question_in_several_formats(domain, text, expected):
    dispatcher, events = validate(form_tracker(text, "inform_date"), domain)
    assert slot_events(events) == {"decision_date": expected}
    assert dispatcher.messages == []


@pytest.mark.parametrize("text", ["weet ik niet", "geen idee", "ik kan de brief niet vinden"])
def test_not_knowing_the_date_fills_unknown(domain, text):
    _, events = validate(form_tracker(text, "deny"), domain)
    assert slot_events(events) == {"decision_date": "unknown"}


def test_a_date_in_the_future_is_refused_and_asked_again(domain):
    dispatcher, events = validate(form_tracker("de brief is van 14-12-2026", "inform_date"), domain)
    assert slot_events(events) == {"decision_date": None}
    assert names(dispatcher) == ["utter_decision_date_future"]
    assert "toekomst" in all_text(domain, dispatcher)


def test_a_date_more_than_two_years_back_is_refused(domain):
    dispatcher, events = validate(form_tracker("3 november 2023", "inform_date"), domain)
    assert slot_events(events) == {"decision_date": None}
    assert names(dispatcher) == ["utter_decision_date_too_old"]
    # two years back exactly is still accepted
    _, events = validate(form_tracker("23-11-2024", "inform_date"), domain)
    assert slot_events(events) == {"decision_date": "2024-11-23"}


def test_a_date_that_cannot_be_read_gets_a_hint(domain):
    dispatcher, events = validate(form_tracker("de brief is van 3-11", "inform_date"), domain)
    assert slot_events(events) == {"decision_date": None}
    assert names(dispatcher) == ["utter_decision_date_not_understood"]


def test_another_question_extracts_nothing_so_the_form_rejects(domain):
    dispatcher, events = validate(form_tracker("welke wet geldt voor mijn kind", "info_which_law"), domain)
    assert events == [] and dispatcher.messages == []


def test_stop_extracts_nothing(domain):
    _, events = validate(form_tracker("laat maar, ik weet het niet", "stop"), domain)
    assert events == []


ANSWERED_OTHER_QUESTION = [
    {"event": "action", "name": "action_listen"},
    {"event": "user", "text": "welke wet geldt voor mijn kind"},
    {"event": "action_execution_rejected", "name": "refusal_form"},
    {"event": "action", "name": "utter_info_which_law"},
    {"event": "bot", "text": "…"},
    {"event": "slot", "name": "requested_slot", "value": "decision_date"},
    {"event": "action", "name": "refusal_form"},
]


def test_after_the_answer_to_another_question_the_form_ends_without_a_date(domain):
    tracker = form_tracker("welke wet geldt voor mijn kind", "info_which_law",
                           events=ANSWERED_OTHER_QUESTION)
    _, events = validate(tracker, domain)
    assert slot_events(events) == {"decision_date": None, "requested_slot": None}


def test_after_a_simpler_explanation_the_form_asks_again(domain):
    tracker = form_tracker("ik snap het niet", "not_understood", events=ANSWERED_OTHER_QUESTION)
    _, events = validate(tracker, domain)
    assert "requested_slot" not in slot_events(events)


def test_the_deadline_form_notes_who_decided(domain):
    tracker = form_tracker("tot wanneer kan ik bezwaar maken tegen de gemeente, brief van 2 oktober",
                           "ask_bezwaar_deadline", active=False, form="bezwaar_deadline_form")
    _, events = validate(tracker, domain, ValidateBezwaarDeadlineForm())
    assert slot_events(events) == {"decision_date": "2026-10-02", "decision_maker": "municipality"}


# --- the plan ------------------------------------------------------------------------------------


def plan(domain, decision_date, audience="parent"):
    tracker = make_tracker("3 november", "inform_date",
                           slots={"decision_date": decision_date, "audience": audience})
    return run_action(ActionRefusalPlan(), tracker, domain)


@pytest.mark.parametrize("audience", AUDIENCES)
def test_the_plan_gives_the_last_day_and_every_next_step(domain, audience):
    dispatcher, events = plan(domain, "2026-11-03", audience)
    assert names(dispatcher) == [
        "utter_bezwaar_deadline", "utter_bezwaar_days_left", "utter_refusal_how_to_object",
        "utter_refusal_other_routes", "utter_refusal_letter_offer",
    ]
    text = all_text(domain, dispatcher, audience)
    assert "dinsdag 15 december 2026" in text
    assert "dinsdag 3 november 2026" in text
    assert "22 dagen" in text
    assert "CIZ" in text and "Het Juiste Loket" in text and "16" in text
    assert "{" not in text
    assert {"/find_clientondersteuning", "/info_which_law", "/ask_bezwaar_letter"} <= set(
        payloads(domain, dispatcher, audience))
    assert slot_events(events) == {"decision_maker": "ciz"}


def test_the_plan_says_how_to_write_the_bezwaar(domain):
    dispatcher, _ = plan(domain, "2026-11-03")
    text = all_text(domain, dispatcher)
    for part in ("brief aan het CIZ", "naam", "adres", "datum", "welk besluit", "waarom",
                 "handtekening", "cliëntondersteuner", "gemeente", "Jeugdwet", "Wmo",
                 "nieuwe aanvraag"):
        assert part in text, part


def test_a_deadline_on_christmas_moves_to_the_next_working_day(domain):
    # 13 November 2026 + 6 weeks = Friday 25 December (Eerste Kerstdag); 26/27 December are
    # Tweede Kerstdag and a Sunday, so the last day is Monday 28 December.
    dispatcher, _ = plan(domain, "2026-11-13")
    assert names(dispatcher)[0] == "utter_bezwaar_deadline_moved"
    text = all_text(domain, dispatcher)
    assert "maandag 28 december 2026" in text
    assert "vrijdag 25 december 2026" in text and "Eerste Kerstdag" in text
    assert "Algemene termijnenwet" in text
    assert "35 dagen" in text


def test_a_deadline_on_a_saturday_says_so(domain):
    dispatcher, _ = plan(domain, "2026-10-31", "simple")
    text = all_text(domain, dispatcher, "simple")
    assert "een zaterdag" in text and "maandag 14 december 2026" in text


def test_a_passed_deadline_says_so_and_what_is_still_possible(domain):
    dispatcher, _ = plan(domain, "2026-08-14")
    assert names(dispatcher) == ["utter_refusal_deadline_passed"]
    text = all_text(domain, dispatcher)
    assert "vrijdag 25 september 2026" in text and "voorbij" in text
    for part in ("gemeente", "nieuwe aanvraag", "16e", "cliëntondersteuner", "Het Juiste Loket"):
        assert part in text, part
    assert "/ask_bezwaar_letter" not in payloads(domain, dispatcher)


def test_the_last_day_today_is_said_plainly(domain):
    dispatcher, _ = plan(domain, "2026-10-12")  # + 6 weeks = Monday 23 November = today
    assert names(dispatcher)[:2] == ["utter_bezwaar_deadline", "utter_bezwaar_last_day_today"]
    assert "vandaag is de laatste dag" in all_text(domain, dispatcher)


def test_one_day_left_is_singular(domain):
    dispatcher, _ = plan(domain, "2026-10-13")
    assert "nog 1 dag." in all_text(domain, dispatcher)


def test_an_unknown_date_explains_the_six_weeks_and_gives_the_rest_of_the_plan(domain):
    dispatcher, _ = plan(domain, "unknown")
    assert names(dispatcher) == [
        "utter_bezwaar_date_unknown", "utter_refusal_how_to_object",
        "utter_refusal_other_routes", "utter_refusal_letter_offer",
    ]
    text = all_text(domain, dispatcher)
    assert "6 weken" in text and "Typ die datum hier" in text


def test_no_date_after_leaving_the_form_says_nothing(domain):
    dispatcher, events = plan(domain, None)
    assert dispatcher.messages == [] and events == []


# --- the deadline for any decision ---------------------------------------------------------------


def test_the_deadline_question_gets_the_date_and_where_to_send(domain):
    tracker = make_tracker("tot wanneer kan ik bezwaar maken als de brief van 3 november is?",
                           "ask_bezwaar_deadline", slots={"decision_date": "2026-11-03"})
    dispatcher, _ = run_action(ActionBezwaarDeadline(), tracker, domain)
    assert names(dispatcher) == [
        "utter_bezwaar_deadline", "utter_bezwaar_days_left", "utter_bezwaar_deadline_next"]
    text = all_text(domain, dispatcher)
    assert "dinsdag 15 december 2026" in text and "gemeente" in text and "CIZ" in text
    assert "/ask_bezwaar_letter" in payloads(domain, dispatcher)


def test_the_deadline_question_with_a_passed_date(domain):
    tracker = make_tracker("gisteren", "inform_date", slots={"decision_date": "2026-01-05"})
    dispatcher, _ = run_action(ActionBezwaarDeadline(), tracker, domain)
    assert names(dispatcher) == ["utter_bezwaar_deadline_passed"]
    assert "maandag 16 februari 2026" in all_text(domain, dispatcher)


# --- the letter ----------------------------------------------------------------------------------

DATE_WITH_YEAR = re.compile(r"\b\d{1,2} [a-z]+ \d{4}\b")


@pytest.mark.parametrize("audience", AUDIENCES)
def test_the_letter_has_both_dates_and_no_personal_data(domain, audience):
    tracker = make_tracker("/ask_bezwaar_letter", "ask_bezwaar_letter",
                           slots={"decision_date": "2026-11-03", "decision_maker": "ciz",
                                  "audience": audience})
    dispatcher, _ = run_action(ActionBezwaarLetter(), tracker, domain)
    assert names(dispatcher) == ["utter_bezwaar_letter"]
    text = all_text(domain, dispatcher, audience)
    assert "3 november 2026" in text and "15 december 2026" in text
    assert "Aan: het CIZ" in text
    assert re.search(r"\[(uw|je)? ?naam\]", text) and re.search(r"\[(uw|je)? ?adres\]", text)
    # the only dates are the decision and the deadline; no phone number, e-mail or other date
    assert set(DATE_WITH_YEAR.findall(text)) == {"3 november 2026", "15 december 2026"}
    assert not re.search(r"\d{6,}|@", text)
    assert "{" not in text


def test_the_letter_without_a_date_keeps_placeholders(domain):
    tracker = make_tracker("voorbeeldbrief", "ask_bezwaar_letter", slots={"decision_date": "unknown"})
    dispatcher, _ = run_action(ActionBezwaarLetter(), tracker, domain)
    text = all_text(domain, dispatcher)
    assert "[datum van het besluit]" in text and "[6 weken na de datum van het besluit]" in text
    assert "[het CIZ of de gemeente: wie het besluit nam]" in text


def test_the_letter_to_a_configured_municipality(domain):
    tracker = make_tracker("voorbeeldbrief", "ask_bezwaar_letter",
                           slots={"decision_date": "2026-11-03", "decision_maker": "municipality",
                                  "municipality": "gemeente-voorbeeld"})
    dispatcher, _ = run_action(ActionBezwaarLetter(), tracker, domain)
    assert "Aan: Gemeente Voorbeeld" in all_text(domain, dispatcher)


def test_the_letter_after_the_deadline_says_it_has_passed(domain):
    tracker = make_tracker("voorbeeldbrief", "ask_bezwaar_letter",
                           slots={"decision_date": "2026-08-14", "decision_maker": "ciz"})
    dispatcher, _ = run_action(ActionBezwaarLetter(), tracker, domain)
    assert names(dispatcher) == ["utter_refusal_deadline_passed"]
