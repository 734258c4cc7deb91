"""Build rasa_sdk trackers and run actions the way the action server does."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parents[2]


def load_domain() -> dict[str, Any]:
    """The merged domain as Rasa sends it to the action server (domain.yml + data/ responses)."""
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")]
    )
    return importer.get_domain().as_dict()


def make_tracker(
    text: str = "",
    intent: str = "greet",
    slots: dict[str, Any] | None = None,
    events: list[dict] | None = None,
    entities: list[dict] | None = None,
    intent_ranking: list[dict] | None = None,
    sender_id: str = "unit-test",
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": entities or [],
        "intent_ranking": intent_ranking or [{"name": intent, "confidence": 1.0}],
    }
    return Tracker(
        sender_id=sender_id,
        slots={"audience": "parent", **(slots or {})},
        latest_message=latest,
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run_action(action, tracker: Tracker, domain: dict) -> tuple[CollectingDispatcher, list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain))
    return dispatcher, events


def bot_event(utter_action: str, text: str = "…") -> dict:
    return {"event": "bot", "text": text, "metadata": {"utter_action": utter_action}}
