"""Crisis words win over everything else (FACTS S1: 112, 113, Veilig Thuis).

DIET learns the `crisis` intent from examples, but a probabilistic classifier can miss a message
such as "ik wil dood" between two care questions. This component runs after the intent
classifier: when the text contains an unambiguous crisis phrase it sets the intent to `crisis`
with confidence 1.0, so the crisis rule answers first. It has nothing to train.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

CRISIS_INTENT = "crisis"

# Phrases only: single words such as "dood" or "gevaar" also occur in ordinary care questions.
CRISIS_PATTERNS = [
    r"zelfmoord",
    r"su[iï]cid",
    r"\bdood\s+(wil|willen|gaan)\b",
    r"\bwil\w*\s+(\w+\s+){0,3}dood\b",
    r"niet\s+meer\s+(wil\w*\s+)?leven",
    r"(eind|einde)\s+aan\s+(mijn|m'n|zijn|haar|ons|hun)\s+leven",
    r"\b(mezelf|mijzelf|zichzelf|hemzelf|haarzelf)\s+(iets\s+)?(aan\s*doen|aandoen|pijn\s+doen|doden|ophangen)",
    r"niet\s+meer\s+(wil\w*\s+)?bestaan",
    r"\ber\s+niet\s+meer\s+(wil\w*\s+)?(zijn|wezen)\b",
    r"uit\s+het\s+leven\s+(\w+\s+){0,2}(stappen|gaan)",
    r"\ber\s+een\s+einde?\s+aan\s+(te\s+)?maken",
    r"van\s+het\s+leven\s+(te\s+)?beroven",
    r"\b(mezelf|mijzelf|zichzelf)\s+(\w+\s+)?(snijden|snij|pijn\s+te\s+doen)|\bsnij\w*\s+(mezelf|mijzelf|zichzelf)",
    r"spring\w*\s+(\w+\s+){0,2}(van|vanaf)\s+(de|het|een)\s+(brug|dak|flat|balkon)"
    r"|(van|vanaf|op)\s+(de|het|een)\s+(brug|dak|flat|balkon)\s+(\w+\s+){0,3}(te\s+)?spring",
    r"\b(word|wordt|werd|worden)\s+(\w+\s+)?geslagen",
    r"\bbedreigt\s+(mij|me|ons|mijn|m'n)\b",
    r"afscheidsbrief",
    r"overdosis",
    r"voor\s+(de|een)\s+trein\s+(te\s+)?(springen|gaan\s+liggen)",
    r"gewelddadig",
    r"seksueel\s+misbruik",
    r"\b(mij|me|mijn\s+\w+|m'n\s+\w+)\s+(wordt\s+|werd\s+)?misbruikt",
    r"\bbang\s+voor\s+(mijn|m'n)\s+(man|vrouw|partner|vriend|vriendin|vader|moeder|ex|zoon|dochter)\b",
    r"van\s+kant\s+maken",
    r"huiselijk\s+geweld",
    r"mishandel",
    r"\b(slaat|schopt|slaan|schoppen)\s+(mij|me|ons|mijn|m'n)\b",
    r"\b(niet|on)\s*veilig\s+(thuis|in\s+huis)",
    r"\bthuis\s+(is\s+het\s+)?(niet|on)\s*veilig",
    r"\b(acuut|direct|nu)\s+(in\s+)?gevaar",
    r"\bin\s+levensgevaar",
]
CRISIS_RE = re.compile("|".join(f"(?:{p})" for p in CRISIS_PATTERNS), re.IGNORECASE)


def normalise(text: str) -> str:
    """Fold width variants and odd spacing so 'ＺＥＬＦＭＯＯＲＤ' or 'zelf\u200bmoord' still match."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[\u200b-\u200f\u2060\ufeff]", "", text)
    return re.sub(r"\s+", " ", text)


def is_crisis(text: str | None) -> bool:
    return bool(text) and CRISIS_RE.search(normalise(text)) is not None


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class CrisisKeywordClassifier(GraphComponent):
    """Overrides the predicted intent with `crisis` when a crisis phrase is present."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "CrisisKeywordClassifier":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if not is_crisis(message.get("text")):
                continue
            crisis = {"name": CRISIS_INTENT, "confidence": 1.0}
            ranking = [crisis] + [
                dict(item, confidence=0.0)
                for item in message.get("intent_ranking") or []
                if item.get("name") != CRISIS_INTENT
            ]
            message.set("intent", crisis, add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
