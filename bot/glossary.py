"""The glossary (bot/glossary.yml): which term a user asks about ("wat is een pgb?").

Matching is deterministic: the longest surface form of any term found in the text wins, so
"persoonsgebonden budget" beats "budget". Forms are matched as whole words, case-insensitively.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

import yaml

from bot import PACKAGE_DIR

GLOSSARY_FILE = PACKAGE_DIR / "glossary.yml"


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=1)
def load(path: Path = GLOSSARY_FILE) -> dict[str, dict]:
    if not path.exists():
        return {}
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("terms") or {}


@functools.lru_cache(maxsize=1)
def _forms() -> list[tuple[str, str]]:
    pairs = []
    for key, spec in load().items():
        for form in {key.replace("_", " "), *(spec.get("forms") or [])}:
            pairs.append((_fold(str(form)), key))
    return sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)


def find_term(text: str | None) -> str | None:
    """The glossary key of the term named in `text`, or None."""
    if not text:
        return None
    folded = _fold(text[:1000])
    for form, key in _forms():
        if re.search(rf"(?<!\w){re.escape(form)}(?!\w)", folded):
            return key
    return None


def topic_of(key: str) -> str | None:
    return (load().get(key) or {}).get("topic")
