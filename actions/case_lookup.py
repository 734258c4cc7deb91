"""The case lookup: "hoe staat het met mijn aanvraag?" for the user's own case (contract 3).

The flow (rules in data/rules/case_lookup.yml, unhappy paths in data/stories/case_lookup.yml,
texts in data/responses/case_lookup.yml and bot/case_status.py):

* ``ask_case_status`` (or a bare case number, ``inform_case_number``, outside a form) starts
  ``case_lookup_form``.  A case number in that first message is taken without asking again.
* The form asks ``case_number``; before it asks ``birth_date`` it checks
  :func:`bot.cases.repository.is_locked` for the conversation and that number.
* The birth date is read with :func:`bot.dates.parse_birth_date` ("9 mei 2011", "09-05-2011",
  "2011-05-09") and checked at once with :func:`~bot.cases.repository.lookup_case` in
  ``validate_birth_date``.  The ``birth_date`` slot never holds the date: only :data:`CHECKED`
  or nothing.  A match puts the case number into ``verified_case_number``, a slot with a custom
  mapping only: no entity or payload can fill it, only this validation action.
* ``action_show_case_status`` explains the verified case (bot/case_status.py) and then empties the
  lookup slots again; without a verified case it says nothing.

Privacy and abuse (contract 3, issue 5 item 4): a wrong pair and an unknown (or malformed) number
get the same text; the lockout after 3 wrong tries is the store's rule (per conversation and per
case number, in the database, so it holds across action servers); nothing the user typed is
repeated back; the birth date is redacted from the stored user message by bot/tracker_store.py.
Hostile input (SQL, 10,000 characters, odd Unicode) never reaches a query: a case number must
match :data:`bot.cases.vocab.CASE_NUMBER_PATTERN` (ASCII only) and a birth date must parse.

Leaving the form: "laat maar" (``stop``) is the shared rule in data/rules/refusal.yml; the
extraction here returns nothing for it, so the form rejects and that rule runs.  Another question
while the form waits: the form rejects, the question is answered by its own rule, and when Rasa
runs the form again (no user message in between) it ends without a case (the status action then
says nothing), unless the question belongs to the lookup (:data:`STAY_INTENTS`).

The store is blocking SQLAlchemy: every call runs in a worker thread (``asyncio.to_thread``).
"""
from __future__ import annotations

import asyncio
import logging
import re
from datetime import date, datetime, timezone
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction

from actions.common import audience_of, latest_text
from bot import case_status, dates
from bot.cases.db import get_engine
from bot.cases.repository import (
    LockState,
    LookupResult,
    consume_verification,
    is_locked,
    lookup_case,
)
from bot.sealed_slots import seal, unseal
from bot.cases.vocab import (
    CASE_NUMBER_MAX_LENGTH,
    CASE_NUMBER_MIN_LENGTH,
    normalise_case_number,
)

logger = logging.getLogger(__name__)

FORM = "case_lookup_form"
CASE_NUMBER = "case_number"
BIRTH_DATE = "birth_date"
VERIFIED = "verified_case_number"
#: What ``birth_date`` holds after a successful check: never the date itself.
CHECKED = "checked"

#: The refusal conversation's slots (actions/refusal.py): after a refusal the status action fills
#: them, so that "Voorbeeldbrief bezwaar" has the decision date and the addressee.
DECISION_DATE = "decision_date"
DECISION_MAKER = "decision_maker"

#: The metadata key in which the chat channel passes the requester's address (for the per-client
#: lookup limit); the tracker store never keeps it.
CLIENT_ADDRESS_KEY = "client_address"
#: Tells the widget not to keep the bot messages of this reply in the browser (docs/widget.md).
PRIVATE_REPLY = {"wegwijzer_private": "reply"}

#: Longer answers are not read at all (a case number is at most 32 characters).
MAX_ANSWER_CHARS = 300
#: Below this NLU confidence a message during the form is treated as an attempt to answer.
LEAVE_CONFIDENCE = 0.6
TIMEZONE = "Europe/Amsterdam"

#: Intents that mean "this was (meant as) an answer" while the form asks: the form asks again.
ANSWER_INTENTS = frozenset(
    {
        "inform_case_number",
        "inform_date",
        "ask_case_status",
        "affirm",
        "deny",
        "greet",
        "thank",
        "out_of_scope",
        "nlu_fallback",
    }
)
#: After the bot answered one of these during the form, the form asks its question again;
#: after any other question the form ends (the user switched topic).
STAY_INTENTS = frozenset({"not_understood", "ask_term", "set_audience", "chitchat"})

# A candidate case number: 4-32 ASCII letters, digits or hyphens, not glued to more of them.
_CANDIDATE_RE = re.compile(
    rf"(?<![A-Za-z0-9-])[A-Za-z0-9](?:[A-Za-z0-9-]{{{CASE_NUMBER_MIN_LENGTH - 2},"
    rf"{CASE_NUMBER_MAX_LENGTH - 2}}})[A-Za-z0-9](?![A-Za-z0-9-])"
)
_DIGIT_RE = re.compile(r"[0-9]")
# "weet ik niet", "waar vind ik het zaaknummer", "kwijt": the user needs help finding the number.
_HELP_RE = re.compile(
    r"\b(?:weet|ken|heb|vind|zie)\b[^.?!]{0,40}\bniet\b|\bkwijt\b|\bgeen\s+(?:idee|nummer|zaaknummer"
    r"|dossiernummer|kenmerk)\b|\bwaar\s+(?:vind|staat|zie)\b|\bonbekend\b",
    re.IGNORECASE,
)
_FORM_ACTIONS = {"action_listen", "action_extract_slots", FORM, f"validate_{FORM}"}


# --- reading the user's message -------------------------------------------------------------------


def intent_of(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""


def confidence_of(tracker: Tracker) -> float:
    value = ((tracker.latest_message or {}).get("intent") or {}).get("confidence")
    return float(value) if isinstance(value, (int, float)) else 0.0


def _outside_dates(text: str) -> str:
    """The text with every date-like span blanked, so "09-05-2011" is never a case number."""
    chars = list(text)
    for start, end in dates.find_birth_date_spans(text):
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def find_case_number(text: str) -> Optional[str]:
    """The first case number in a message (normalised, upper case), or None.

    A candidate has 4 to 32 ASCII letters, digits and hyphens and at least one digit (so "stop"
    or "annuleren" are no case numbers); a number of only digits needs at least 5 (so a year such
    as "2024" is not taken for one); dates are skipped.  Messages over
    :data:`MAX_ANSWER_CHARS` characters are not read.
    """
    if not isinstance(text, str) or not text or len(text) > MAX_ANSWER_CHARS:
        return None
    for match in _CANDIDATE_RE.finditer(_outside_dates(text)):
        token = match.group(0)
        if not _DIGIT_RE.search(token):
            continue
        if token.isdigit() and len(token) < 5:
            continue
        number = normalise_case_number(token)
        if number is not None:
            return number
    return None


def client_of(tracker: Tracker) -> Optional[str]:
    """The requester's address as the chat channel passed it, or None."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    value = metadata.get(CLIENT_ADDRESS_KEY) if isinstance(metadata, dict) else None
    return value[:64] if isinstance(value, str) and value else None


def case_number_slot(tracker: Tracker) -> Optional[str]:
    """The case number the form holds (sealed in the slot, bot/sealed_slots.py), or None."""
    return normalise_case_number(unseal(tracker.get_slot(CASE_NUMBER)))


def find_birth_date(text: str, today: Optional[date] = None) -> Optional[date]:
    """The birth date in an answer, read by :func:`bot.dates.parse_birth_date`, or None.

    The whole answer ("9 mei 2011") or exactly one date in it ("hij is geboren op 09-05-2011");
    two different dates in one answer are not guessed between.
    """
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_ANSWER_CHARS:
        return None
    today = today or dates.today()
    whole = dates.parse_birth_date(text, today=today)
    if whole is not None:
        return whole
    found = {
        parsed
        for start, end in dates.find_birth_date_spans(text)
        if (parsed := dates.parse_birth_date(text[start:end], today=today)) is not None
    }
    return found.pop() if len(found) == 1 else None


def looks_like_date(text: str) -> bool:
    return bool(isinstance(text, str) and dates.find_birth_date_spans(text[:MAX_ANSWER_CHARS]))


def wants_help(text: str) -> bool:
    return bool(isinstance(text, str) and len(text) <= MAX_ANSWER_CHARS and _HELP_RE.search(text))


def leaves_form(tracker: Tracker) -> bool:
    """Whether the message is another question (the form rejects) rather than a failed answer.

    Another question: a known intent other than the answer intents, recognised with confidence.
    Everything else, including hostile or very long input, gets a Dutch re-ask.
    """
    intent = intent_of(tracker)
    if not intent or intent in ANSWER_INTENTS:
        return False
    if len(latest_text(tracker)) > MAX_ANSWER_CHARS:
        return False
    return confidence_of(tracker) >= LEAVE_CONFIDENCE


def activated_now(tracker: Tracker) -> bool:
    """True while the form is being activated (its first run, on the message that started it).

    At activation Rasa calls the validation action with the form already marked active, so the
    sign is an ``active_loop`` event for this form after the latest user message.
    """
    if tracker.active_loop_name != FORM:
        return True
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            return False
        if kind == "active_loop" and event.get("name") == FORM:
            return True
    return False


def answered_something_else(tracker: Tracker) -> bool:
    """True when, since the user's last message, another action ran before this form.

    That is the form's second run after an unhappy path: the form was rejected, a rule answered
    the user's other question, and Rasa runs the active form again.
    """
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            return False
        if kind == "action" and (event.get("name") or "") not in _FORM_ACTIONS:
            return True
    return False


def _stays(intent: str) -> bool:
    return intent in STAY_INTENTS or intent.startswith("chitchat")


# --- talking about the lock ------------------------------------------------------------------------


def until_phrase(until: Optional[datetime], now: Optional[datetime] = None) -> str:
    """When lookups are possible again, in Dutch local time: "om 20.15 uur" ("morgen om 0.05 uur")."""
    try:
        from zoneinfo import ZoneInfo

        zone: Any = ZoneInfo(TIMEZONE)
    except Exception:  # noqa: BLE001 - no tz database: show UTC rather than nothing
        zone = timezone.utc
    if until is None:
        return "over 15 minuten"
    local = until.astimezone(zone)
    today = (now or datetime.now(timezone.utc)).astimezone(zone).date()
    moment = f"om {local.hour}.{local.minute:02d} uur"
    if local.date() == today:
        return moment
    if (local.date() - today).days == 1:
        return f"morgen {moment}"
    return f"op {dates.format_date(local.date())} {moment}"


def utter_locked(dispatcher: CollectingDispatcher, until: Optional[datetime]) -> None:
    dispatcher.utter_message(response="utter_case_lookup_locked", until=until_phrase(until))


def end_form() -> Dict[Text, Any]:
    """Slot values that end the form with nothing found (the status action then says nothing)."""
    return {CASE_NUMBER: None, BIRTH_DATE: None, VERIFIED: None, REQUESTED_SLOT: None}


# --- the store, off the event loop -------------------------------------------------------------


async def check_lock(
    conversation_id: str, case_number: Optional[str] = None, client: Optional[str] = None
) -> LockState:
    return await asyncio.to_thread(
        is_locked, get_engine(), conversation_id, case_number, client_id=client
    )


async def run_lookup(
    case_number: str, birth_date: date, conversation_id: str, client: Optional[str] = None
) -> LookupResult:
    return await asyncio.to_thread(
        lookup_case, get_engine(), case_number, birth_date, conversation_id, client_id=client
    )


async def take_verification(conversation_id: str, case_number: str) -> bool:
    return await asyncio.to_thread(consume_verification, get_engine(), conversation_id, case_number)


async def read_case(case_number: str) -> Optional[case_status.CaseView]:
    return await asyncio.to_thread(case_status.load_case, get_engine(), case_number)


def _store_failed(dispatcher: CollectingDispatcher, error: Exception) -> Dict[Text, Any]:
    # The message names neither the input nor the error; the log has the error type only.
    logger.error("case lookup failed: %s", type(error).__name__)
    dispatcher.utter_message(response="utter_case_lookup_unavailable")
    return end_form()


# --- the form's validation --------------------------------------------------------------------------


class ValidateCaseLookupForm(FormValidationAction):
    """Extraction and validation of ``case_lookup_form``: the lookup happens here."""

    def name(self) -> Text:
        return f"validate_{FORM}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        activating = activated_now(tracker)
        if not activating and answered_something_else(tracker) and not _stays(intent_of(tracker)):
            # The user asked something else and got the answer: leave the form without a case.
            return [SlotSet(slot, value) for slot, value in end_form().items()]
        if activating:
            try:
                state = await check_lock(tracker.sender_id, client=client_of(tracker))
            except Exception as error:  # noqa: BLE001 - any store failure: a Dutch message
                return [SlotSet(s, v) for s, v in _store_failed(dispatcher, error).items()]
            if state.locked:
                utter_locked(dispatcher, state.locked_until)
                return [SlotSet(slot, value) for slot, value in end_form().items()]
            # A new lookup never inherits an earlier verified case.
            return [SlotSet(VERIFIED, None), *await super().run(dispatcher, tracker, domain)]
        return await super().run(dispatcher, tracker, domain)

    # -- case number --------------------------------------------------------------------------

    async def extract_case_number(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> Dict[Text, Any]:
        """The case number from the first message, or from the answer to the form's question.

        Starting the form, a number in the message fills the slot; without one the slot is
        emptied (an earlier lookup is never reused).  While the birth date is asked, a message
        with a new case number and no date replaces the number.  A failed answer gets a hint and
        the question again; another question extracts nothing, so the form rejects.
        """
        text = latest_text(tracker)
        if activated_now(tracker):
            return {CASE_NUMBER: find_case_number(text)}
        if intent_of(tracker) == "stop":
            return {}
        requested = tracker.get_slot(REQUESTED_SLOT)
        number = find_case_number(text)
        if requested == BIRTH_DATE:
            # A new case number replaces the old one, but nothing date-shaped ("09052011",
            # "9-mei-2011") is ever taken for one while the bot asks the birth date.
            if number is not None and find_birth_date(text) is None and not looks_like_date(text):
                return {CASE_NUMBER: number}
            return {}
        if requested != CASE_NUMBER:
            return {}
        if number is not None:
            return {CASE_NUMBER: number}
        if intent_of(tracker) == "ask_case_status" and not wants_help(text):
            return {CASE_NUMBER: None}  # the same question again: the form just asks again
        if wants_help(text):
            dispatcher.utter_message(response="utter_case_number_help")
            return {CASE_NUMBER: None}
        if leaves_form(tracker):
            return {}
        if looks_like_date(text):
            dispatcher.utter_message(response="utter_case_number_is_a_date")
        else:
            dispatcher.utter_message(response="utter_case_number_invalid")
        return {CASE_NUMBER: None}

    async def validate_case_number(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[Text, Any],
    ) -> Dict[Text, Any]:
        """A well-formed number, not locked for this conversation: then the form asks the date."""
        if value is None:
            return {CASE_NUMBER: None}
        number = normalise_case_number(value)
        if number is None:
            dispatcher.utter_message(response="utter_case_number_invalid")
            return {CASE_NUMBER: None}
        try:
            state = await check_lock(tracker.sender_id, number, client_of(tracker))
        except Exception as error:  # noqa: BLE001
            return _store_failed(dispatcher, error)
        if state.locked:
            utter_locked(dispatcher, state.locked_until)
            return end_form()
        return {CASE_NUMBER: seal(number)}

    # -- birth date ---------------------------------------------------------------------------

    async def extract_birth_date(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> Dict[Text, Any]:
        """The birth date from the answer to the form's question (ISO, only until validation).

        Never taken from the message that starts the form: the form asks it, after the lock
        check.  A date that cannot be a birth date (no year, impossible, in the future) or an
        unreadable answer gets a hint and the question again.
        """
        if activated_now(tracker):
            return {BIRTH_DATE: None}
        if intent_of(tracker) == "stop" or tracker.get_slot(REQUESTED_SLOT) != BIRTH_DATE:
            return {}
        text = latest_text(tracker)
        found = find_birth_date(text)
        if found is not None:
            return {BIRTH_DATE: found.isoformat()}
        if find_case_number(text) is not None and not looks_like_date(text):
            return {}  # a new case number: extract_case_number took it
        if not looks_like_date(text):
            if leaves_form(tracker):
                return {}
            if intent_of(tracker) == "ask_case_status":
                return {BIRTH_DATE: None}  # the same question again: the form just asks again
        dispatcher.utter_message(response="utter_birth_date_invalid")
        return {BIRTH_DATE: None}

    async def validate_birth_date(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[Text, Any],
    ) -> Dict[Text, Any]:
        """The lookup.  Whatever happens, the slot ends as :data:`CHECKED` or None, never a date."""
        if value is None or value == CHECKED:
            return {BIRTH_DATE: value}
        try:
            birth = date.fromisoformat(str(value))
        except ValueError:
            dispatcher.utter_message(response="utter_birth_date_invalid")
            return {BIRTH_DATE: None}
        number = case_number_slot(tracker)
        if number is None:
            return {BIRTH_DATE: None, CASE_NUMBER: None}
        try:
            result = await run_lookup(number, birth, tracker.sender_id, client_of(tracker))
        except Exception as error:  # noqa: BLE001
            return _store_failed(dispatcher, error)
        if result.found and result.case is not None:
            return {BIRTH_DATE: CHECKED, VERIFIED: seal(result.case.case_number)}
        if result.locked or result.locked_until is not None:
            utter_locked(dispatcher, result.locked_until)
            return end_form()
        # The same words whether the number exists or not; then both are asked again.
        dispatcher.utter_message(response="utter_case_no_match")
        return {BIRTH_DATE: None, CASE_NUMBER: None, VERIFIED: None}


# --- the answer -------------------------------------------------------------------------------------


def clear_lookup() -> List[EventType]:
    return [SlotSet(CASE_NUMBER, None), SlotSet(BIRTH_DATE, None), SlotSet(VERIFIED, None)]


class ActionShowCaseStatus(Action):
    """After ``case_lookup_form``: the verified case explained in the user's audience.

    Nothing is said when no case was verified (the form was left, or lookups are locked). The
    slots are only a pointer: the case is shown when the case store holds a fresh, unused
    verification of a successful lookup in *this* conversation for *this* case
    (``consume_verification``), so a caller that forges the slots gets nothing.
    After a refusal it also fills the refusal conversation's ``decision_date`` and
    ``decision_maker``, so the bezwaar letter (``/ask_bezwaar_letter``) has the right dates.
    """

    def name(self) -> Text:
        return "action_show_case_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        number = normalise_case_number(unseal(tracker.get_slot(VERIFIED)))
        if not number or tracker.get_slot(BIRTH_DATE) != CHECKED:
            return clear_lookup()
        try:
            if not await take_verification(tracker.sender_id, number):
                logger.warning("case status asked without a verified lookup in this conversation")
                return clear_lookup()
            case = await read_case(number)
        except Exception as error:  # noqa: BLE001
            _store_failed(dispatcher, error)
            return clear_lookup()
        if case is None:
            dispatcher.utter_message(response="utter_case_lookup_unavailable")
            return clear_lookup()
        try:
            answer = case_status.status_answer(case, audience_of(tracker), dates.today())
        except Exception as error:  # noqa: BLE001 - e.g. a broken municipality file: say so in Dutch
            _store_failed(dispatcher, error)
            return clear_lookup()
        dispatcher.utter_message(json_message=PRIVATE_REPLY)
        for message in answer.messages:
            dispatcher.utter_message(text=message.text, buttons=list(message.buttons))
        events = clear_lookup()
        if answer.refused and answer.decision is not None:
            events.append(SlotSet(DECISION_DATE, answer.decision.date.isoformat()))
            events.append(SlotSet(DECISION_MAKER, "ciz" if case.law == "wlz" else "municipality"))
        return events
