"""Choosing a response variant for an audience outside Rasa's NLG.

Rasa picks the audience variant of a response itself (conditional response variations on the
`audience` slot). A custom action that must show a variant for *another* audience than the slot
holds ("ik snap het niet" → the simple version) uses `pick_variant` on the domain's responses,
which the action server receives with every request.
"""
from __future__ import annotations

from typing import Any, Mapping

AUDIENCES = ("parent", "simple", "professional")
DEFAULT_AUDIENCE = "parent"


def variant_audience(variant: Mapping[str, Any]) -> str | None:
    """The audience a variant is conditioned on, or None for an unconditioned variant."""
    for condition in variant.get("condition") or []:
        if condition.get("type") == "slot" and condition.get("name") == "audience":
            return condition.get("value")
    return None


def pick_variant(
    responses: Mapping[str, Any], name: str, audience: str
) -> dict[str, Any] | None:
    """The variant of response `name` for `audience`; an unconditioned one if there is none."""
    variants = responses.get(name) or []
    for variant in variants:
        if variant_audience(variant) == audience:
            return dict(variant)
    for variant in variants:
        if variant_audience(variant) is None:
            return dict(variant)
    return None
