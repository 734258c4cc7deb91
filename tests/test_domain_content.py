"""The content contracts: every topic wired up, three audience variants, plain language, facts."""
import re
from pathlib import Path

import pytest
import yaml

from bot import glossary, topics
from bot.plain_language import lint
from bot.responses import AUDIENCES, variant_audience
from tests.actions.helpers import load_domain

ROOT = Path(__file__).resolve().parents[1]
# Facts of ../shared/domain/FACTS.md; docs/topics.md must say where the bot states each one.
FACT_IDS = [f"F{i}" for i in range(1, 7)] + [f"D{i}" for i in range(1, 13)] + \
    [f"C{i}" for i in range(1, 5)] + [f"R{i}" for i in range(1, 4)] + ["S1"]
# Responses that are the same for everybody on purpose.
SINGLE_VARIANT = {"utter_crisis", "utter_simpler_offer", "utter_nothing_to_simplify"}
# Topics whose rule answers and then starts a guided flow: the actions that rule runs.
FLOW_STARTS = {"info_wlz_refusal": ["utter_info_wlz_refusal", "refusal_form"]}


@pytest.fixture(scope="module")
def domain():
    return load_domain()


def rules_by_intent() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in (ROOT / "data" / "rules").glob("*.yml"):
        for rule in yaml.safe_load(path.read_text())["rules"]:
            steps = rule["steps"]
            intents = [s["intent"] for s in steps if "intent" in s]
            actions = [s["action"] for s in steps if "action" in s]
            for intent in intents:
                found.setdefault(intent, []).extend(actions)
    return found


def test_every_topic_is_an_intent_with_a_rule_and_an_answer(domain):
    rules = rules_by_intent()
    for intent in topics.load():
        assert intent in domain["intents"] or any(
            intent in i for i in domain["intents"] if isinstance(i, dict)), intent
        expected = FLOW_STARTS.get(intent, [f"utter_{intent}"])
        assert rules.get(intent) == expected, f"no rule answers {intent} (exactly one rule: {expected})"
        assert f"utter_{intent}" in domain["responses"], f"no answer for {intent}"


def test_at_least_forty_knowledge_topics():
    assert len(topics.load()) >= 40


def test_every_answer_has_one_variant_per_audience(domain):
    for name, variants in domain["responses"].items():
        if name in SINGLE_VARIANT:
            continue
        audiences = sorted(variant_audience(v) or "-" for v in variants)
        assert audiences == sorted(AUDIENCES), f"{name} has variants for {audiences}"


def test_every_response_passes_the_plain_language_gates():
    failing = [row for row in lint(ROOT) if not row.passed]
    assert not failing, "\n".join(f"{r.response}[{r.variant}] {r.audience}: {r.problems}" for r in failing)


def test_buttons_point_to_known_intents(domain):
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}
    for name, variants in domain["responses"].items():
        for variant in variants:
            for b in variant.get("buttons") or []:
                intent = re.match(r"/(\w+)", b["payload"]).group(1)
                assert intent in intents, f"{name}: button to unknown intent {intent}"


def test_glossary_has_25_terms_each_with_an_answer(domain):
    terms = glossary.load()
    assert len(terms) >= 25
    for key, spec in terms.items():
        assert f"utter_term_{key}" in domain["responses"], key
        assert spec.get("topic") in (None, *topics.load()), f"{key}: unknown topic {spec.get('topic')}"


@pytest.mark.parametrize("text, key", [
    ("wat is een pgb", "pgb"),
    ("Wat betekent persoonsgebonden budget?", "pgb"),
    ("uitleg over het CIZ graag", "ciz"),
    ("wat is een beschiking", "beschikking"),
])
def test_glossary_finds_the_term(text, key):
    assert glossary.find_term(text) == key


def test_topic_map_covers_every_fact():
    text = (ROOT / "docs" / "topics.md").read_text()
    for fact in FACT_IDS:
        assert re.search(rf"\b{fact}\b", text), f"{fact} is not mapped in docs/topics.md"
    for intent in topics.load():
        assert intent in text, f"{intent} is not in docs/topics.md"
