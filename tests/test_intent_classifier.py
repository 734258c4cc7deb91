"""The intent classifier component (bot/nlp/intent_classifier.py), on real Rasa featurizers."""
from __future__ import annotations

import pytest
import skops.io as sio
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from bot.nlp.intent_classifier import TfidfLogisticRegressionClassifier

EXAMPLES = {
    "info_pgb": ["wat is een pgb", "ik wil een persoonsgebonden budget", "pgb aanvragen hoe",
                 "kan ik zelf mijn zorg inkopen met een budget"],
    "info_bezwaar": ["ik ben het niet eens met het besluit", "hoe maak ik bezwaar",
                     "bezwaar maken tegen de beschikking", "ik wil in bezwaar gaan"],
    "greet": ["hallo", "goedemorgen", "hoi daar", "goedendag"],
}


def _context(name: str) -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name=name)


def _featurize(messages, tokenizer, featurizer):
    tokenizer.process(messages)
    featurizer.process(messages)
    return messages


@pytest.fixture()
def trained(tmp_path):
    storage = LocalModelStorage(tmp_path)
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    featurizer = CountVectorsFeaturizer.create(
        {**CountVectorsFeaturizer.get_default_config(), "analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4},
        storage, Resource("cv"), _context("cv"),
    )
    data = TrainingData([Message.build(text=t, intent=i) for i, texts in EXAMPLES.items() for t in texts])
    tokenizer.process_training_data(data)
    featurizer.train(data)
    featurizer.process_training_data(data)
    resource = Resource("intent_classifier")
    config = {**TfidfLogisticRegressionClassifier.get_default_config()}
    classifier = TfidfLogisticRegressionClassifier.create(config, storage, resource, _context("clf"))
    classifier.train(data)
    return storage, resource, config, lambda texts: _featurize(
        [Message.build(text=t) for t in texts], tokenizer, featurizer)


def test_trained_and_reloaded_classifier_recognises_unseen_questions(trained):
    storage, resource, config, featurize = trained
    loaded = TfidfLogisticRegressionClassifier.load(config, storage, resource, _context("clf"))
    messages = loaded.process(featurize(["hoe vraag ik een pgb aan", "ik wil bezwaar maken", "hallo!"]))
    assert [m.get("intent")["name"] for m in messages] == ["info_pgb", "info_bezwaar", "greet"]
    ranking = messages[0].get("intent_ranking")
    assert ranking[0]["confidence"] >= ranking[-1]["confidence"]
    assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-6


def test_a_saved_model_with_unexpected_code_is_refused(trained):
    storage, resource, config, _ = trained
    with storage.write_to(resource) as directory:
        # A pickled Python function: skops would have to import and run arbitrary code to load it.
        sio.dump(Pipeline([("code", FunctionTransformer(print))]), directory / f"{resource.name}.skops")
    with pytest.raises(ValueError, match="untrusted"):
        TfidfLogisticRegressionClassifier.load(config, storage, resource, _context("clf"))
