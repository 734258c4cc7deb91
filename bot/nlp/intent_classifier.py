"""Intent classifier: TF-IDF weighting of the sparse features, then a logistic regression.

Rasa's `LogisticRegressionClassifier` fits scikit-learn's regression on raw counts with the
fixed regularisation C=1. On this assistant's data (about 70 intents, many with neighbouring
wording) two changes measured better on the held-out set and in cross-validation on the training
data (docs/nlu-tuning.md):

- sublinear TF-IDF and L2 normalisation of the concatenated sentence features (the word, lemma
  and character n-gram counts), so that frequent words such as "gemeente" or "hulp", which occur
  in almost every intent, weigh less than the words that tell the topics apart;
- a weaker regularisation (C in the hundreds), because normalised rows have small values.

Everything else is inherited (required featurizers, `create`, training, the intent ranking,
balanced class weights), and the model is saved with skops (a safe format: `load` below accepts
only scikit-learn and numpy types).
"""
from __future__ import annotations

from typing import Any, Dict, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

# The only type in the saved pipeline that skops does not trust by default: the fitted
# TfidfTransformer keeps its idf weights as a sparse diagonal matrix.
TRUSTED_EXTRA_TYPES = frozenset({"scipy.sparse._csr.csr_matrix"})


def build_pipeline(config: Dict[Text, Any]) -> Pipeline:
    """The scikit-learn pipeline this classifier fits; one place for its settings."""
    return Pipeline(
        [
            ("tfidf", TfidfTransformer(sublinear_tf=config["sublinear_tf"])),
            (
                "regression",
                LogisticRegression(
                    C=config["C"],
                    solver=config["solver"],
                    max_iter=config["max_iter"],
                    tol=config["tol"],
                    class_weight="balanced",
                    random_state=config["random_state"],
                ),
            ),
        ]
    )


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class TfidfLogisticRegressionClassifier(LogisticRegressionClassifier):
    """`LogisticRegressionClassifier` on TF-IDF-weighted features with a configurable C."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "C": 300.0,
            "sublinear_tf": True,
            # lbfgs needs more than Rasa's 100 iterations at this C (ConvergenceWarning).
            "max_iter": 5000,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        name: Text,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf = build_pipeline(self.config)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "TfidfLogisticRegressionClassifier":
        """Loads the fitted pipeline; refuses a file that holds any other unexpected type."""
        import skops.io as sio

        with model_storage.read_from(resource) as model_dir:
            path = model_dir / f"{resource.name}.skops"
            unknown = set(sio.get_untrusted_types(file=path))
            if not unknown <= TRUSTED_EXTRA_TYPES:
                raise ValueError(f"{path} holds untrusted types: {sorted(unknown - TRUSTED_EXTRA_TYPES)}")
            component = cls(config, execution_context.node_name, model_storage, resource)
            component.clf = sio.load(path, trusted=sorted(unknown))
        return component
