"""Rasa graph component: sentence vectors of the offline multilingual e5 model as features.

Character n-grams see spelling; a sentence model sees meaning, across Kazakh and Russian and
across paraphrases ("бала туды" and "у нас родился ребёнок" land close together). This
featurizer gives the intent classifier the e5 vector of each message (with e5's `query: `
prefix, see komekshi/core/embedding.py; a message in Latin letters is folded to Cyrillic first,
which e5 understands far better) as a dense sentence feature. Vectors are cached per text, so a
message asked again costs nothing, and a training encodes only the texts no earlier training
encoded. The model is read from `model_path`,
else EMBEDDING_MODEL, else models/multilingual-e5-small: built at install time, never
downloaded.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from komekshi.core.embedding import DEFAULT_PATH, Embedder, fingerprint
from komekshi.core.language import as_cyrillic
from komekshi.rasa_server.components.focus import focus
from komekshi.rasa_server.components.vector_store import VectorStore, encode_with_store, store_path

# Messages encoded together while training, and how often training reports its progress.
BATCH = 64
PROGRESS = 2000

log = logging.getLogger(__name__)

Encode = Callable[[list[str]], np.ndarray[Any, Any]]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the e5 sentence vector of a message's text as a dense sentence feature."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            "model_path": None,
            "cache_size": 20_000,
            # How much a long message's question (komekshi/rasa_server/components/focus.py)
            # weighs in its vector.
            "focus_weight": 0.5,
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to check: every option has a usable default."""

    @staticmethod
    def required_packages() -> list[str]:
        return ["onnxruntime", "tokenizers"]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The sentence model's fingerprint: Rasa's training cache must not hand back the
        features of another model (or of another precision) as this one's."""
        path = _model_path(config)
        return fingerprint(path) if path.exists() else None

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self.embedder = Embedder(_model_path(config), cache_size=int(config["cache_size"]))
        # The model loads now rather than on a citizen's message.
        self.embedder.load()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEmbeddingFeaturizer:
        return cls(config, execution_context.node_name)

    def _vectors(self, texts: list[str], encode: Encode | None = None) -> np.ndarray[Any, Any]:
        """e5 vectors; a long message's is mostly its question's
        (komekshi/rasa_server/components/focus.py)."""
        encode = encode or self.embedder.encode
        vectors = encode([as_cyrillic(text) for text in texts])
        weight = float(self._config["focus_weight"])
        for row, text in enumerate(texts):
            asked = focus(text) if weight else None
            if asked:
                mixed = weight * encode([as_cyrillic(asked)])[0]
                mixed += (1 - weight) * vectors[row]
                vectors[row] = mixed / max(float(np.linalg.norm(mixed)), 1e-9)
        return vectors

    def _featurize(self, messages: list[Message], encode: Encode | None = None) -> None:
        texts = [m for m in messages if isinstance(m.get(TEXT), str) and m.get(TEXT).strip()]
        for start in range(0, len(texts), BATCH):
            batch = texts[start : start + BATCH]
            vectors = self._vectors([m.get(TEXT) for m in batch], encode)
            for message, vector in zip(batch, vectors, strict=True):
                # A sentence vector only: the classifiers take the token-level features from
                # the sparse featurizers.
                self.add_features_to_message(
                    sequence=None,  # type: ignore[arg-type]
                    sentence=vector.reshape(1, -1),
                    attribute=TEXT,
                    message=message,
                )

    def _strings(self, texts: list[str]) -> list[str]:
        """Every string `_vectors` encodes for these texts."""
        weight = float(self._config["focus_weight"])
        asked = [focus(text) for text in texts] if weight else []
        return [as_cyrillic(t) for t in texts] + [as_cyrillic(a) for a in asked if a]

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Vectors of texts a previous training encoded come from the store on disk
        (komekshi/rasa_server/components/vector_store.py); the others are encoded, with progress
        shown."""
        examples = [m for m in training_data.training_examples
                    if isinstance(m.get(TEXT), str) and m.get(TEXT).strip()]  # fmt: skip
        store = VectorStore(store_path(self.embedder.path))
        try:
            known = encode_with_store(
                self._strings([m.get(TEXT) for m in examples]),
                self.embedder.encode,
                store,
                lambda done, total: log.info("sentence vectors: %d of %d new texts", done, total),
                PROGRESS,
            )
        finally:
            store.close()
        log.info("sentence vectors of %d training examples ready", len(examples))
        self._featurize(examples, lambda strings: np.stack([known[s] for s in strings]))
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages)
        return messages


def _model_path(config: dict[str, Any]) -> Path:
    return Path(config.get("model_path") or os.environ.get("EMBEDDING_MODEL") or DEFAULT_PATH)
