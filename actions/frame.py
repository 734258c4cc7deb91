"""Actions of the conversational frame: simpler explanation, glossary, fallback topics."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import audience_of, button, by_audience, latest_text
from bot import glossary, topics
from bot.responses import pick_variant

# Bot messages that are not an explanation worth repeating in simpler words.
NOT_REPEATABLE = {
    "utter_simpler_offer",
    "utter_nothing_to_simplify",
    "utter_ask_rephrase",
    "utter_fallback_question",
    "utter_anything_else",
    "utter_ok",
    "utter_feedback_thanks",
    "utter_feedback_offer_human",
}


def last_explanation(tracker: Tracker) -> str | None:
    """The response name of the last thing the bot explained, from the tracker's events."""
    for event in reversed(tracker.events):
        if event.get("event") != "bot":
            continue
        name = (event.get("metadata") or {}).get("utter_action")
        if name and name not in NOT_REPEATABLE:
            return name
    return None


class ActionExplainSimpler(Action):
    """ "Ik snap het niet": the last answer again, in its simple (A2) variant."""

    def name(self) -> Text:
        return "action_explain_simpler"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        name = last_explanation(tracker)
        variant = pick_variant(domain.get("responses", {}), name, "simple") if name else None
        if not variant or not variant.get("text"):
            dispatcher.utter_message(response="utter_nothing_to_simplify")
            return []
        dispatcher.utter_message(
            text=variant["text"], buttons=variant.get("buttons") or [], utter_action=name
        )
        if audience_of(tracker) != "simple":
            dispatcher.utter_message(response="utter_simpler_offer")
        return []


class ActionExplainTerm(Action):
    """ "Wat is een beschikking?": the glossary entry for the term in the message."""

    def name(self) -> Text:
        return "action_explain_term"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        entity = next(tracker.get_latest_entity_values("term"), None)
        key = glossary.find_term(entity) if entity else None
        key = key or glossary.find_term(latest_text(tracker))
        if key and f"utter_term_{key}" in domain.get("responses", {}):
            dispatcher.utter_message(response=f"utter_term_{key}")
            return []
        dispatcher.utter_message(
            text=by_audience(
                tracker,
                parent="Dat woord ken ik nog niet. Welk woord wilt u uitgelegd hebben? "
                "Typ bijvoorbeeld: wat is een beschikking?",
                simple="Dat woord ken ik niet. Typ het woord nog een keer. "
                "Bijvoorbeeld: wat is pgb?",
                professional="Die term staat niet in mijn woordenlijst. "
                "Noem de term, bijvoorbeeld: wat is een ingebrekestelling?",
            )
        )
        return []


class ActionDefaultAskAffirmation(Action):
    """First stage of the two-stage fallback: the most likely topics as buttons."""

    MAX_TOPICS = 3

    def name(self) -> Text:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        labels = topics.labels()
        buttons = []
        for item in ranking:
            intent = item.get("name")
            if intent in labels:
                buttons.append(button(labels[intent], f"/{intent}"))
            if len(buttons) == self.MAX_TOPICS:
                break
        if not buttons:
            buttons = [button(labels[i], f"/{i}") for i in topics.STARTER_TOPICS]
        buttons.append(button(by_audience(tracker, "Iets anders", "Iets anders"), "/deny"))
        dispatcher.utter_message(response="utter_fallback_question", buttons=buttons)
        return []
