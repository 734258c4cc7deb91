"""Small helpers shared by the actions."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from bot.responses import AUDIENCES, DEFAULT_AUDIENCE


def audience_of(tracker: Tracker) -> str:
    value = tracker.get_slot("audience")
    return value if value in AUDIENCES else DEFAULT_AUDIENCE


def by_audience(tracker: Tracker, parent: str, simple: str, professional: str | None = None) -> str:
    """Pick one of three texts written in the action for the tracker's audience."""
    audience = audience_of(tracker)
    if audience == "simple":
        return simple
    if audience == "professional" and professional is not None:
        return professional
    return parent


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def button(title: str, payload: str) -> dict[str, Any]:
    return {"title": title, "payload": payload}
