"""The knowledge topics (bot/topics.yml): intents, Dutch button labels and the facts they use."""
from __future__ import annotations

import functools
from pathlib import Path

import yaml

from bot import PACKAGE_DIR

TOPICS_FILE = PACKAGE_DIR / "topics.yml"
# Offered when the classifier has no idea at all.
STARTER_TOPICS = ("info_where_to_start", "info_clientondersteuning", "info_rights")


@functools.lru_cache(maxsize=1)
def load(path: Path = TOPICS_FILE) -> dict[str, dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["topics"]


def labels() -> dict[str, str]:
    return {intent: spec["label"] for intent, spec in load().items()}
