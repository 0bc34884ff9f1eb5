"""Rasa graph component: a message about a threat to life is always an emergency.

The intent classifier learns the `emergency` intent from examples, but a statistical model
can miss one phrasing, and for these messages a miss is not acceptable. This component learns the
`emergency_terms` lookup table from the training data and, when a message contains one of
those terms (at a word start, in any case), sets the intent to `emergency` with full
confidence, so the emergency numbers go out before anything else.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.utils.io import dump_obj_as_json_to_file, read_json_file

from komekshi.core.language import fold

EMERGENCY_INTENT = "emergency"
LOOKUP_TABLE = "emergency_terms"
TERMS_FILE = "emergency_terms.json"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class EmergencyDetector(GraphComponent):
    """Overrides the intent with `emergency` when an emergency term appears."""

    def __init__(self, terms: list[str], model_storage: ModelStorage, resource: Resource) -> None:
        self.terms = terms
        self._storage = model_storage
        self._resource = resource
        self._pattern = _pattern(terms)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EmergencyDetector:
        return cls([], model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> EmergencyDetector:
        with model_storage.read_from(resource) as directory:
            terms: list[str] = read_json_file(directory / TERMS_FILE)
        return cls(terms, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        terms = [
            term
            for table in training_data.lookup_tables
            if table.get("name") == LOOKUP_TABLE
            for term in table.get("elements", [])
        ]
        with self._storage.write_to(self._resource) as directory:
            dump_obj_as_json_to_file(directory / TERMS_FILE, terms)
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self._pattern is None:
            return messages
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/") or not self._pattern.search(_fold(text)):
                continue
            intent = {"name": EMERGENCY_INTENT, "confidence": 1.0}
            ranking = [
                item
                for item in message.get(INTENT_RANKING_KEY) or []
                if item.get("name") != EMERGENCY_INTENT
            ]
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)
        return messages


def _fold(text: str) -> str:
    """One spelling for every script and keyboard (komekshi.core.language.fold), as terms are
    compared: "өзіме қол салғым", "ozime kol salgym" and "озиме кол салгым" meet."""
    return fold(text)


def _pattern(terms: list[str]) -> re.Pattern[str] | None:
    folded = sorted({_fold(term) for term in terms if term.strip()}, key=len, reverse=True)
    if not folded:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(term) for term in folded) + ")")
