"""Feedback on an answer (issue 6): "Had u hier iets aan?" yes/no, stored with the topic only.

The widget sends ``/feedback{"helpful":"yes"}`` or ``/feedback{"helpful":"no"}``; a typed "daar
had ik niks aan" gets the same treatment. One row goes to the ``feedback`` table: the topic (the
intent of the last answered question, :func:`bot.stats.feedback_topic`), yes or no, and the time
in UTC. Never the user's text, never the sender id. The database call runs in a worker thread;
when it fails the user is thanked all the same and only the error type is logged.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_text
from bot import stats
from bot.cases.db import get_engine

logger = logging.getLogger(__name__)


def helpful_value(tracker: Tracker) -> Optional[bool]:
    """Yes (True), no (False) or unknown (None).

    The widget's payload carries the ``helpful`` entity (yes/no). In a typed message a negation
    ("niet", "niks", ...) decides first: the classifier's entity span can miss it ("niet
    bruikbaar" was extracted as "bruikbaar", a synonym of yes); then the entity; then the words.
    """
    text = latest_text(tracker)
    if stats.helpful_from_text(text) is False:
        return False
    for value in tracker.get_latest_entity_values("helpful"):
        parsed = stats.parse_helpful(value)
        if parsed is not None:
            return parsed
    return stats.helpful_from_text(text)


class ActionStoreFeedback(Action):
    """Store the yes/no with the topic, thank the user, and after a "no" offer a person."""

    def name(self) -> Text:
        return "action_store_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        helpful = helpful_value(tracker)
        if helpful is not None:
            topic = stats.feedback_topic(tracker.events)
            try:
                await asyncio.to_thread(stats.record_feedback, get_engine(), topic, helpful)
            except Exception as error:  # noqa: BLE001 - the user is thanked whatever happens
                logger.warning("Feedback niet opgeslagen (%s).", type(error).__name__)
        dispatcher.utter_message(response="utter_feedback_thanks")
        if helpful is False:
            dispatcher.utter_message(response="utter_feedback_offer_human")
        return []
