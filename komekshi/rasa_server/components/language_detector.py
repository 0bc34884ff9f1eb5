"""Rasa graph component that detects the message language first in the pipeline.

It reports the language as a `language` entity, so the `language` slot fills itself through
an ordinary `from_entity` mapping and every response can pick its Kazakh or Russian variation
by a slot condition. When a message is too short or too mixed to call, no entity is added and
the conversation keeps the language it had. A language the citizen chose (by name or with
/language) comes with the message's metadata (`{"language": "kk"}`, sent by the channel)
and wins over detection.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    METADATA,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from komekshi.core import language

LANGUAGE_ENTITY = "language"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Adds a `language` entity (kk or ru) to each user message it can decide."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            # "/intent" payloads come from buttons: they carry no language of their own.
            if text.startswith("/"):
                continue
            chosen = (message.get(METADATA) or {}).get(LANGUAGE_ENTITY)
            if chosen in language.LANGUAGES:
                found, confidence = chosen, 1.0
            else:
                detection = language.detect(text)
                found, confidence = detection.language, detection.confidence
            if found is None:
                continue
            entity = {
                ENTITY_ATTRIBUTE_TYPE: LANGUAGE_ENTITY,
                ENTITY_ATTRIBUTE_VALUE: found,
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: len(text),
                ENTITY_ATTRIBUTE_CONFIDENCE: confidence,
                EXTRACTOR: self.__class__.__name__,
            }
            message.set(ENTITIES, [*message.get(ENTITIES, []), entity], add_to_output=True)
        return messages
