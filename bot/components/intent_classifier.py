"""Rasa graph component: intents by logistic regression over every sentence feature.

Measured on Kömekshi's data (docs/nlu.md), a linear model over the character and word counts
(weighted TF-IDF style: sublinear counts times inverse document frequency) and the e5
sentence vector beats DIET, in accuracy and in out-of-scope recall, and its probabilities
are calibrated enough for the fallback thresholds to mean something; it also trains in
seconds. Each FAQ topic (`faq/hkko`) is a class of its own, so the FAQ is not one broad
class that draws in whatever looks like a question; the intent reported is the retrieval
intent (`faq`), and the topic is reported as Rasa's ResponseSelector reports it
(`response_selector`), so that `utter_faq` answers with the topic's response. The topics are
this model's own classes: a second model (Rasa's ResponseSelector, a TensorFlow network) chose
the right topic no more often on the held-out set and cost about a tenth of every parse
(docs/nlu.md).

A message none of whose words the model has ever seen ("ывапролдж фывапр") still gets
probabilities, drawn to the largest classes; its confidences are scaled down
(`unknown_words_factor`), so the fallback asks instead of the bot guessing.
"""

from __future__ import annotations

import pickle
import warnings
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_DEFAULT_INTENT,
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
from sklearn.linear_model import LogisticRegression

MODEL_FILE = "classifier.pkl"

# This classifier picks the FAQ topics (topic_selection): Rasa's warning at training that the
# topics have no ResponseSelector to learn them does not apply.
warnings.filterwarnings(
    "ignore", message="You have defined training data with examples for training a response"
)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(IntentClassifier, GraphComponent):
    """Logistic regression on TF-IDF-weighted sparse and weighted dense sentence features."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Inverse regularisation strength of the logistic regression.
            "C": 10.0,
            # How much the dense (e5) vector weighs against the L2-normalised sparse part.
            "dense_weight": 2.0,
            "max_iter": 3000,
            "ranking_length": 10,
            # Confidences of a message with no known word are multiplied by this.
            "unknown_words_factor": 0.5,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        tfidf: TfidfTransformer | None = None,
        classifier: LogisticRegression | None = None,
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
        self.classifier = LogisticRegression(
            C=float(self.config["C"]),
            max_iter=int(self.config["max_iter"]),
            class_weight="balanced",
            random_state=42,
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
        for message, probabilities in zip(featurized, table, strict=True):
            words = _words(message)
            if words and self.known.isdisjoint(words):
                probabilities = probabilities * float(self.config["unknown_words_factor"])
            merged: dict[str, float] = {}
            for label, probability in zip(labels, probabilities, strict=True):
                # A topic of a retrieval intent (faq/hkko) speaks for that intent (faq).
                intent = label.split("/")[0]
                merged[intent] = max(merged.get(intent, 0.0), float(probability))
            best = sorted(merged.items(), key=lambda item: -item[1])
            ranking = [
                {"name": name, "confidence": p}
                for name, p in best[: int(self.config["ranking_length"])]
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            selection = topic_selection(labels, probabilities, int(self.config["ranking_length"]))
            if selection:
                message.set(RESPONSE_SELECTOR_PROPERTY_NAME, selection, add_to_output=True)
        return messages


def topic_selection(
    labels: list[str], probabilities: Any, ranking_length: int = 10
) -> dict[str, Any] | None:
    """The FAQ topic of a message, in the shape of Rasa's ResponseSelector output.

    A topic's confidence is its share of the retrieval intent's probability (the topics' own
    probabilities, summed to 1), as the ResponseSelector's were; `utter_action` names the
    topic's response (`utter_faq/hkko`), which `utter_faq` sends. Only the topics of the
    first retrieval intent are ranked: Kömekshi has one, `faq`. None without topics.
    """
    topics = [(label, float(p)) for label, p in zip(labels, probabilities, strict=True)]
    topics = [(label, p) for label, p in topics if "/" in label]
    if not topics:
        return None
    retrieval = topics[0][0].split("/")[0]
    topics = sorted((t for t in topics if t[0].startswith(retrieval + "/")), key=lambda t: -t[1])
    total = sum(p for _, p in topics) or 1.0
    ranking = [
        {INTENT_RESPONSE_KEY: label, PREDICTED_CONFIDENCE_KEY: p / total}
        for label, p in topics[:ranking_length]
    ]
    best = ranking[0]
    return {
        RESPONSE_SELECTOR_RETRIEVAL_INTENTS: [retrieval],
        RESPONSE_SELECTOR_DEFAULT_INTENT: {
            RESPONSE_SELECTOR_PREDICTION_KEY: {
                PREDICTED_CONFIDENCE_KEY: best[PREDICTED_CONFIDENCE_KEY],
                INTENT_RESPONSE_KEY: best[INTENT_RESPONSE_KEY],
                RESPONSE_SELECTOR_UTTER_ACTION_KEY: intent_response_key_to_template_key(
                    str(best[INTENT_RESPONSE_KEY])
                ),
            },
            RESPONSE_SELECTOR_RANKING_KEY: ranking,
        },
    }


def _words(message: Message) -> set[str]:
    """The message's words as the featurizers count them (lemmas), letters only."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return {t.lemma for t in tokens if t.lemma and any(c.isalpha() for c in t.lemma)}


def _stack(rows: list[csr_matrix | None]) -> csr_matrix:
    width = max((row.shape[1] for row in rows if row is not None), default=0)
    return vstack([row if row is not None else csr_matrix((1, width)) for row in rows]).tocsr()
