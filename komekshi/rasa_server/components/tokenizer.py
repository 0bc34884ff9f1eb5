"""Rasa graph component: spaCy tokens, with script-free Russian lemmas as the token lemma.

spaCy's Russian rules split Kazakh and Russian well and keep a Kazakh case ending after a
hyphen on its word ("ХҚКО-ға", "eGov-қа" stay one token). Each token's lemma, which Rasa's
CountVectorsFeaturizer counts instead of the raw word, is the word folded to one spelling
(komekshi.core.language: Latin to Cyrillic, Kazakh letters as a Russian keyboard types them,
й/я/ю as their sounds: "spravka" → "справка", "qalai", "қалай" and "калай" → "калаи") and, when
pymorphy3 knows it as a Russian word, reduced to its dictionary form ("справки о
несудимости" → "справка о несудимость"). So Latin-script, Cyrillic, keyboard-without-Kazakh-
letters and inflected forms of one word share their features. Kazakh words, which pymorphy3
does not know, keep their form: their suffixes are left to the character n-grams. Both
steps can be switched off (`fold_latin`, `lemmas`) to measure what they earn.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import spacy
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from komekshi.core.language import canonical, plain, to_cyrillic


@lru_cache(maxsize=1)
def _spacy() -> Any:
    return spacy.blank("ru")


@lru_cache(maxsize=1)
def _morph() -> Any:
    # Imported on first use, for start-up speed: its dictionaries load with it.
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


@lru_cache(maxsize=50_000)
def lemma(word: str, fold_latin: bool = True, lemmas: bool = True) -> str:
    """The form of `word` the featurizers count (see the module docstring)."""
    form = word.lower().replace("ё", "е")
    if fold_latin:
        form = plain(to_cyrillic(form))
    if lemmas and form.isalpha():
        morph = _morph()
        if morph.word_is_known(form):
            form = str(morph.parse(form)[0].normal_form).replace("ё", "е")
    return canonical(form) if fold_latin else form


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class SpacyLemmaTokenizer(Tokenizer):
    """Tokens by spaCy's blank Russian tokenizer; lemmas folded to Cyrillic and lemmatised."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            "fold_latin": True,
            "lemmas": True,
        }

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SpacyLemmaTokenizer:
        # spaCy's tokenizer and the Russian dictionary load now, not on a citizen's message
        # (about half a second).
        _spacy()
        if config.get("lemmas", True):
            _morph()
        return cls(config)

    def _words(self, text: str) -> list[Token]:
        fold, lemmas = bool(self._config["fold_latin"]), bool(self._config["lemmas"])
        return [
            Token(word.text, word.idx, lemma=lemma(word.text, fold, lemmas))
            for word in _spacy()(text)
            if not word.is_space and not word.is_punct
        ]

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        tokens = self._words(text)
        # A message of punctuation alone ("???") is one token, as Rasa's own tokenizers do.
        found: list[Token] = self._apply_token_pattern(tokens or [Token(text, 0, lemma=text)])
        return found
