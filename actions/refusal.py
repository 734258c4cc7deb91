"""The guided conversation after a refusal: the date of the decision, the last day for bezwaar, a plan.

The flow (rules in data/rules/refusal.yml, texts in data/responses/refusal.yml):

* ``info_wlz_refusal`` → ``utter_info_wlz_refusal`` (the general answer) → ``refusal_form``, which
  needs one slot, ``decision_date`` → ``action_refusal_plan``: the last day for bezwaar, how to
  write it, free cliëntondersteuning, the municipality, a new application, Het Juiste Loket, and a
  button "Voorbeeldbrief".
* ``ask_bezwaar_deadline`` ("tot wanneer kan ik bezwaar maken?"), or a bare date (``inform_date``)
  when no form is active → ``bezwaar_deadline_form`` (the same slot) → ``action_bezwaar_deadline``.
* ``ask_bezwaar_letter`` (the button) → ``action_bezwaar_letter``: a letter outline with the dates
  filled in and placeholders for everything personal; the bot never asks a name or an address.

``decision_date`` holds an ISO date ("2026-11-03"), ``"unknown"`` when the user does not know it,
or nothing.  It is filled only by the forms' validation actions (custom slot mapping), from the
message that starts the form or from the answer to the form's question, with
:func:`bot.dates.parse_date` (``prefer="past"``).  Deadlines come from :mod:`bot.deadlines` only;
"today" from :func:`bot.dates.today` (``WEGWIJZER_TODAY`` fixes it in tests).

Leaving a form: when the user asks something else while a form waits for the date, the form
rejects, the other question is answered by its own rule, and Rasa's RulePolicy then runs the form
again.  That second run (no user message in between) ends the form without a date unless the
question was one that belongs to this conversation (:data:`STAY_INTENTS`); the rule after the form
then runs the plan action, which says nothing when there is no date.  ``stop`` ("laat maar")
deactivates any form through its own rule.
"""
from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction

from actions.common import latest_text
from bot import dates, municipalities
from bot.deadlines import Deadline, compute_deadline

logger = logging.getLogger(__name__)

DATE_SLOT = "decision_date"
MAKER_SLOT = "decision_maker"
UNKNOWN = "unknown"
CIZ = "ciz"
MUNICIPALITY = "municipality"

REFUSAL_FORM = "refusal_form"
DEADLINE_FORM = "bezwaar_deadline_form"

#: A decision date further back than this many years is refused (almost surely a typo).
MAX_AGE_YEARS = 2

#: "weet ik niet" counts as an answer only in a message of at most this many words.
MAX_UNKNOWN_WORDS = 12

#: Intents whose message may carry the decision date.
DATE_INTENTS = frozenset({"inform_date", "info_wlz_refusal", "ask_bezwaar_deadline"})
#: After the bot answered one of these during a form, the form asks its question again;
#: after any other intent the form ends (the user switched topic).
STAY_INTENTS = DATE_INTENTS | {"info_bezwaar", "not_understood", "ask_term", "set_audience", "chitchat"}

# "weet ik niet" and friends, as an answer to the form's question only.
_UNKNOWN_RE = re.compile(
    r"\b(?:(?:ik\s+)?weet\s+(?:ik\s+)?(?:het\s+)?(?:echt\s+)?niet(?:\s+meer)?|w(?:ee|e)t\s+nie[t]?"
    r"|geen\s+(?:flauw\s+)?idee|weet\s+ik\s+veel|onbekend|geen\s+datum"
    r"|(?:kan|kon)\s+(?:de\s+brief|het|hem|die)\s+niet\s+(?:meer\s+)?vinden"
    r"|brief\s+(?:is\s+)?kwijt|ben\s+(?:de\s+brief|hem|het)\s+kwijt)\b",
    re.IGNORECASE,
)
_CIZ_RE = re.compile(r"\b(?:ciz|wlz)\b", re.IGNORECASE)
_MUNICIPALITY_RE = re.compile(
    r"\b(?:gemeente\w*|wmo|jeugdwet|jeugdhulp|wijkteam|beschikking)\b", re.IGNORECASE
)
_ACTIONS_BEFORE_FORM = {"action_listen", "action_extract_slots", REFUSAL_FORM, DEADLINE_FORM}


# --- dates -----------------------------------------------------------------------------------


def intent_of(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""


def _years_back(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def date_problem(decision: date, today: date) -> Optional[str]:
    """Why a decision date cannot be right: "future", "too_old", or None when it can."""
    if decision > today:
        return "future"
    if decision < _years_back(today, MAX_AGE_YEARS):
        return "too_old"
    return None


def stored_date(tracker: Tracker) -> Optional[date]:
    """The decision date in the slot as a date (None when unset, unknown or not a date)."""
    value = tracker.get_slot(DATE_SLOT)
    if not isinstance(value, str) or value == UNKNOWN:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def decision_maker_in(text: str) -> Optional[str]:
    """Who took the decision, when the message says so: the CIZ or the municipality."""
    if _CIZ_RE.search(text):
        return CIZ
    if _MUNICIPALITY_RE.search(text):
        return MUNICIPALITY
    return None


@dataclass(frozen=True)
class BezwaarTerm:
    """The bezwaar deadline for one decision date, with the words the responses need."""

    deadline: Deadline
    today: date

    @classmethod
    def for_decision(cls, decision: date, today: Optional[date] = None) -> "BezwaarTerm":
        return cls(compute_deadline("bezwaar", decision), today or dates.today())

    @property
    def days_left(self) -> int:
        return self.deadline.days_left(self.today)

    @property
    def passed(self) -> bool:
        return self.deadline.is_overdue(self.today)

    @property
    def moved(self) -> bool:
        return self.deadline.extended

    def template_vars(self) -> Dict[str, str]:
        """Values for the {placeholders} in data/responses/refusal.yml."""
        reason = self.deadline.extended_because or ""
        if reason in ("zaterdag", "zondag"):
            reason = f"een {reason}"
        elif reason:
            reason = f"{reason}, een feestdag"
        days = self.days_left
        return {
            "decision_day": dates.format_date(self.deadline.start),
            "bezwaar_deadline": dates.format_date(self.deadline.date),
            "nominal_end": dates.format_date(self.deadline.nominal_end),
            "moved_reason": reason,
            "days_left": f"{days} {'dag' if days == 1 else 'dagen'}",
        }


def utter_deadline(dispatcher: CollectingDispatcher, term: BezwaarTerm) -> None:
    """The last day for bezwaar (and why it moved), then how many days are left."""
    values = term.template_vars()
    name = "utter_bezwaar_deadline_moved" if term.moved else "utter_bezwaar_deadline"
    dispatcher.utter_message(response=name, **values)
    if term.days_left == 0:
        dispatcher.utter_message(response="utter_bezwaar_last_day_today", **values)
    else:
        dispatcher.utter_message(response="utter_bezwaar_days_left", **values)


# --- the forms' validation -------------------------------------------------------------------


def answered_something_else(tracker: Tracker) -> bool:
    """True when, since the user's last message, the bot ran another action before this form.

    That is the form's second run after an unhappy path: the form was rejected, a rule answered
    the user's other question, and the RulePolicy runs the active form again.
    """
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            return False
        if kind == "action" and event.get("name") not in _ACTIONS_BEFORE_FORM:
            name = event.get("name") or ""
            if not name.startswith("validate_"):
                return True
    return False


def is_activating(tracker: Tracker, form: str) -> bool:
    """True while ``form`` is being activated, in the turn of the message that started it.

    Rasa calls the validation action twice when it activates a form: once with the form already
    marked active (an ``active_loop`` event after the user's message), and, when that returned
    nothing, once more with no active form at all.
    """
    if tracker.active_loop_name != form:
        return True
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            return False
        if kind == "active_loop" and event.get("name") == form:
            return True
    return False


def is_unknown_answer(text: str, intent: str) -> bool:
    """ "weet ik niet", "geen idee", "brief kwijt": a short answer saying the date is not known.

    Not for a new question about a refusal or a deadline ("het ciz wees af, geen idee wat nu").
    """
    if intent in ("info_wlz_refusal", "ask_bezwaar_deadline"):
        return False
    return len(text.split()) <= MAX_UNKNOWN_WORDS and _UNKNOWN_RE.search(text) is not None


def _stays(intent: str) -> bool:
    return intent in STAY_INTENTS or intent.startswith("chitchat")


class DecisionDateValidation(FormValidationAction, ABC):
    """Extraction and validation of ``decision_date``, shared by both forms.

    Two small forms with the same slot rather than one form: what follows the form differs (a Wlz
    plan after ``refusal_form``, only the deadline for any decision after
    ``bezwaar_deadline_form``), and each form's ending stays one plain rule instead of a branch on
    a "purpose" slot.  The slot and this extraction code are shared, so a date given in one
    conversation is read the same way everywhere.
    """

    @abstractmethod
    def name(self) -> Text:
        ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        activating = is_activating(tracker, self.form_name())
        logger.debug(
            "%s: activating=%s intent=%s requested=%s events=%s", self.name(), activating,
            intent_of(tracker), tracker.get_slot(REQUESTED_SLOT),
            [(e.get("event"), e.get("name")) for e in tracker.events[-6:]],  # no values: privacy
        )
        if not activating and answered_something_else(tracker) and not _stays(intent_of(tracker)):
            # The user asked something else and got the answer: leave the form without a date.
            return [SlotSet(DATE_SLOT, None), SlotSet(REQUESTED_SLOT, None)]
        events = await super().run(dispatcher, tracker, domain)
        if activating:
            maker = self.decision_maker(tracker)
            if maker:
                events.append(SlotSet(MAKER_SLOT, maker))
        return events

    def decision_maker(self, tracker: Tracker) -> Optional[str]:
        return decision_maker_in(latest_text(tracker))

    async def extract_decision_date(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> Dict[Text, Any]:
        """The decision date from the message that starts the form or answers its question.

        Starting the form: a date in the message fills the slot (so the form does not ask); a bare
        "weet ik niet" (``inform_date``) fills "unknown"; otherwise the slot is emptied, so that
        the date of an earlier decision is not reused silently.  Answering the form's question: a
        date, or "unknown" for "weet ik niet"; an ``inform_date`` that cannot be read gets a hint.
        Any other message extracts nothing, so the form rejects and the message is handled by the
        other rules (another question, "stop").
        """
        intent = intent_of(tracker)
        text = latest_text(tracker)
        if intent == "stop":
            return {}
        found = dates.parse_date(text, today=dates.today(), prefer="past")
        if is_activating(tracker, self.form_name()):
            if found is not None:
                return {DATE_SLOT: found.isoformat()}
            if intent == "inform_date" and is_unknown_answer(text, intent):
                return {DATE_SLOT: UNKNOWN}
            return {DATE_SLOT: None}
        if tracker.get_slot(REQUESTED_SLOT) != DATE_SLOT:
            return {}
        if found is not None:
            return {DATE_SLOT: found.isoformat()}
        if is_unknown_answer(text, intent):
            return {DATE_SLOT: UNKNOWN}
        if intent == "inform_date":
            dispatcher.utter_message(response="utter_decision_date_not_understood")
            return {DATE_SLOT: None}
        return {}

    def validate_decision_date(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[Text, Any],
    ) -> Dict[Text, Any]:
        """A date in the future or more than 2 years back is refused; the form asks again."""
        if value is None or value == UNKNOWN:
            return {DATE_SLOT: value}
        try:
            decision = date.fromisoformat(str(value))
        except ValueError:
            dispatcher.utter_message(response="utter_decision_date_not_understood")
            return {DATE_SLOT: None}
        problem = date_problem(decision, dates.today())
        if problem == "future":
            dispatcher.utter_message(response="utter_decision_date_future")
            return {DATE_SLOT: None}
        if problem == "too_old":
            dispatcher.utter_message(response="utter_decision_date_too_old")
            return {DATE_SLOT: None}
        return {DATE_SLOT: decision.isoformat()}


class ValidateRefusalForm(DecisionDateValidation):
    """``refusal_form``: the date of the CIZ's refusal."""

    def name(self) -> Text:
        return "validate_refusal_form"

    def decision_maker(self, tracker: Tracker) -> Optional[str]:
        return CIZ


class ValidateBezwaarDeadlineForm(DecisionDateValidation):
    """``bezwaar_deadline_form``: the date of any decision (CIZ or municipality)."""

    def name(self) -> Text:
        return "validate_bezwaar_deadline_form"


# --- after the forms -------------------------------------------------------------------------


class ActionRefusalPlan(Action):
    """After ``refusal_form``: the plan after a Wlz refusal, in the user's audience.

    With a date: the last day for bezwaar and the days left, how to write the bezwaar (to the
    CIZ), free cliëntondersteuning, the municipality under Jeugdwet or Wmo, a new application,
    Het Juiste Loket, and the offer of a letter outline.  Deadline passed: what is still possible.
    Date unknown: the 6-week rule and where to find the date, then the rest of the plan.
    No date at all (the user left the form for another question): nothing.
    """

    def name(self) -> Text:
        return "action_refusal_plan"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        value = tracker.get_slot(DATE_SLOT)
        decision = stored_date(tracker)
        if decision is None and value != UNKNOWN:
            return []
        if decision is not None:
            term = BezwaarTerm.for_decision(decision)
            if term.passed:
                dispatcher.utter_message(
                    response="utter_refusal_deadline_passed", **term.template_vars()
                )
                return [SlotSet(MAKER_SLOT, CIZ)]
            utter_deadline(dispatcher, term)
        else:
            dispatcher.utter_message(response="utter_bezwaar_date_unknown")
        dispatcher.utter_message(response="utter_refusal_how_to_object")
        dispatcher.utter_message(response="utter_refusal_other_routes")
        dispatcher.utter_message(response="utter_refusal_letter_offer")
        return [SlotSet(MAKER_SLOT, CIZ)]


class ActionBezwaarDeadline(Action):
    """After ``bezwaar_deadline_form``: the last day for bezwaar against any decision."""

    def name(self) -> Text:
        return "action_bezwaar_deadline"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        value = tracker.get_slot(DATE_SLOT)
        decision = stored_date(tracker)
        if decision is None:
            if value == UNKNOWN:
                dispatcher.utter_message(response="utter_bezwaar_date_unknown")
            return []
        term = BezwaarTerm.for_decision(decision)
        if term.passed:
            dispatcher.utter_message(response="utter_bezwaar_deadline_passed", **term.template_vars())
            return []
        utter_deadline(dispatcher, term)
        dispatcher.utter_message(response="utter_bezwaar_deadline_next", **term.template_vars())
        return []


#: Placeholders when the dates are not known: the letter is still useful.
UNKNOWN_DECISION_DAY = "[datum van het besluit]"
UNKNOWN_DEADLINE = "[6 weken na de datum van het besluit]"


def addressee(tracker: Tracker) -> str:
    """Where the bezwaar goes: the CIZ, the user's municipality, or a placeholder."""
    maker = tracker.get_slot(MAKER_SLOT)
    if maker == CIZ:
        return "het CIZ"
    if maker == MUNICIPALITY:
        municipality = municipalities.get(tracker.get_slot("municipality"))
        return municipality.display_name if municipality else "de gemeente [naam van uw gemeente]"
    return "[het CIZ of de gemeente: wie het besluit nam]"


class ActionBezwaarLetter(Action):
    """ "Voorbeeldbrief": a bezwaar letter outline with the remembered decision date and deadline.

    Everything personal stays a placeholder ([uw naam], [uw adres]); the bot never asks for it.
    When the deadline has passed, it says so instead (and what is still possible).
    """

    def name(self) -> Text:
        return "action_bezwaar_letter"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        decision = stored_date(tracker)
        values = {
            "decision_day": UNKNOWN_DECISION_DAY,
            "bezwaar_deadline": UNKNOWN_DEADLINE,
            "addressee": addressee(tracker),
        }
        if decision is not None:
            term = BezwaarTerm.for_decision(decision)
            if term.passed:
                name = (
                    "utter_refusal_deadline_passed"
                    if tracker.get_slot(MAKER_SLOT) == CIZ
                    else "utter_bezwaar_deadline_passed"
                )
                dispatcher.utter_message(response=name, **term.template_vars())
                return []
            values.update(term.template_vars())
        dispatcher.utter_message(response="utter_bezwaar_letter", **values)
        return []
