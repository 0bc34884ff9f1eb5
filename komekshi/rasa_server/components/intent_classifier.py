"""Rasa graph component: intents by a linear model over every sentence feature.

Measured on Kömekshi's data (docs/nlu.md), a linear model over the character and word counts
(weighted TF-IDF style: sublinear counts times inverse document frequency) and the e5 sentence
vector beats DIET, in accuracy and in out-of-scope recall. It is a linear SVM whose scores a
fitted temperature turns into probabilities (komekshi/rasa_server/components/linear_model.py),
so that the fallback thresholds mean something; it trains in minutes on 30,000 examples where a
logistic regression took over half an hour. Each FAQ topic (`faq/hkko`), each register service
(`ask_service/<id>`) and each life situation (`ask_life_situation/<id>`) is a class of its own,
so no broad class draws in whatever looks like a question; the intent reported is the retrieval
intent (`faq`, `ask_service`), as likely as all its classes together, and its classes are ranked
as Rasa's ResponseSelector reports them (`response_selector`), which the actions read. The
classes are this model's own: a second model (Rasa's ResponseSelector, a TensorFlow network)
chose the right FAQ topic no more often on the held-out set and cost about a tenth of every
parse (docs/nlu.md).

A message none of whose words the model has ever seen ("ывапролдж фывапр") still gets
probabilities, drawn to the largest classes; its confidences are scaled down
(`unknown_words_factor`), so the fallback asks instead of the bot guessing.
"""

from __future__ import annotations

import pickle
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
    TOKENS_NAMES,
)
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.nlu.training_data.util import intent_response_key_to_template_key
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.feature_extraction.text import TfidfTransformer

from komekshi.rasa_server.components.linear_model import CalibratedLinearSVC

MODEL_FILE = "classifier.pkl"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(IntentClassifier, GraphComponent):
    """A calibrated linear SVM on TF-IDF-weighted sparse and weighted dense features."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Inverse regularisation strength of the linear SVM, and the temperature of the
            # softmax that turns its scores into probabilities
            # (komekshi/rasa_server/components/linear_model.py).
            "C": 0.5,
            "temperature": 8.0,
            # How much the dense (e5) vector weighs against the L2-normalised sparse part.
            "dense_weight": 2.0,
            "ranking_length": 10,
            # Confidences of a message with no known word are multiplied by this. With a class
            # per service, the service intent alone holds most of any message's probability:
            # halved, gibberish still passed the fallback threshold.
            "unknown_words_factor": 0.1,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        tfidf: TfidfTransformer | None = None,
        classifier: CalibratedLinearSVC | None = None,
        known: frozenset[str] = frozenset(),
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self.tfidf = tfidf
        self.classifier = classifier
        self.known = known

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        with model_storage.read_from(resource) as directory:
            tfidf, classifier, known = pickle.loads((directory / MODEL_FILE).read_bytes())
        return cls(config, model_storage, resource, tfidf, classifier, known)

    def _features(self, messages: list[Message]) -> tuple[csr_matrix, csr_matrix]:
        sparse, dense = [], []
        for message in messages:
            _, sentence = message.get_sparse_features(TEXT)
            _, vector = message.get_dense_features(TEXT)
            sparse.append(csr_matrix(sentence.features) if sentence else None)
            dense.append(csr_matrix(vector.features) if vector else None)
        return _stack(sparse), _stack(dense)

    def _matrix(self, messages: list[Message]) -> csr_matrix:
        assert self.tfidf is not None
        sparse, dense = self._features(messages)
        weighted = self.tfidf.transform(sparse)
        return hstack([weighted, dense * float(self.config["dense_weight"])]).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        examples = [
            m for m in training_data.intent_examples if m.get(INTENT) and m.features_present(TEXT)
        ]
        labels = [m.get(INTENT_RESPONSE_KEY) or m.get(INTENT) for m in examples]
        self.tfidf = TfidfTransformer(sublinear_tf=True).fit(self._features(examples)[0])
        self.classifier = CalibratedLinearSVC(
            C=float(self.config["C"]), temperature=float(self.config["temperature"])
        ).fit(self._matrix(examples), labels)
        self.known = frozenset(word for m in examples for word in _words(m))
        with self._storage.write_to(self._resource) as directory:
            model = (self.tfidf, self.classifier, self.known)
            (directory / MODEL_FILE).write_bytes(pickle.dumps(model))
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self.classifier is None:
            return messages
        featurized = [m for m in messages if m.features_present(TEXT)]
        if not featurized:
            return messages
        labels = [str(label) for label in self.classifier.classes_]
        table = self.classifier.predict_proba(self._matrix(featurized))
        length = int(self.config["ranking_length"])
        for message, probabilities in zip(featurized, table, strict=True):
            words = _words(message)
            if words and self.known.isdisjoint(words):
                probabilities = probabilities * float(self.config["unknown_words_factor"])
            merged: dict[str, float] = {}
            for label, probability in zip(labels, probabilities, strict=True):
                # The classes of a retrieval intent (faq/hkko, ask_service/<id>) speak for
                # that intent together: it is as likely as all its classes are.
                intent = label.split("/")[0]
                merged[intent] = merged.get(intent, 0.0) + float(probability)
            best = sorted(merged.items(), key=lambda item: -item[1])
            ranking = [{"name": name, "confidence": p} for name, p in best[:length]]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            selection = retrieval_selection(labels, probabilities, length)
            if selection:
                message.set(RESPONSE_SELECTOR_PROPERTY_NAME, selection, add_to_output=True)
        return messages


def retrieval_selection(
    labels: list[str], probabilities: Any, ranking_length: int = 10
) -> dict[str, Any] | None:
    """The classes of each retrieval intent, in the shape of Rasa's ResponseSelector output.

    For each retrieval intent (`faq`, `ask_service`, `ask_life_situation`) its classes are
    ranked by their share of the intent's probability (summed to 1), as the ResponseSelector's
    were; `utter_action` names the class's response (`utter_faq/hkko`), which `utter_faq`
    would send. None without retrieval intents.
    """
    classes = [(label, float(p)) for label, p in zip(labels, probabilities, strict=True)]
    by_intent: dict[str, list[tuple[str, float]]] = {}
    for label, probability in classes:
        if "/" in label:
            by_intent.setdefault(label.split("/")[0], []).append((label, probability))
    if not by_intent:
        return None
    selection: dict[str, Any] = {RESPONSE_SELECTOR_RETRIEVAL_INTENTS: sorted(by_intent)}
    for intent, members in by_intent.items():
        members.sort(key=lambda item: -item[1])
        total = sum(p for _, p in members) or 1.0
        ranking = [
            {INTENT_RESPONSE_KEY: label, PREDICTED_CONFIDENCE_KEY: p / total}
            for label, p in members[:ranking_length]
        ]
        best = ranking[0]
        selection[intent] = {
            RESPONSE_SELECTOR_PREDICTION_KEY: {
                PREDICTED_CONFIDENCE_KEY: best[PREDICTED_CONFIDENCE_KEY],
                INTENT_RESPONSE_KEY: best[INTENT_RESPONSE_KEY],
                RESPONSE_SELECTOR_UTTER_ACTION_KEY: intent_response_key_to_template_key(
                    str(best[INTENT_RESPONSE_KEY])
                ),
            },
            RESPONSE_SELECTOR_RANKING_KEY: ranking,
        }
    return selection


def _words(message: Message) -> set[str]:
    """The message's words as the featurizers count them (lemmas), letters only."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return {t.lemma for t in tokens if t.lemma and any(c.isalpha() for c in t.lemma)}


def _stack(rows: list[csr_matrix | None]) -> csr_matrix:
    width = max((row.shape[1] for row in rows if row is not None), default=0)
    return vstack([row if row is not None else csr_matrix((1, width)) for row in rows]).tocsr()
