"""Tokens keep Kazakh suffixes on their word; lemmas fold scripts and inflections together."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from komekshi.rasa_server.components.tokenizer import SpacyLemmaTokenizer


def _tokens(text: str, **config: bool) -> list[tuple[str, str]]:
    tokenizer = SpacyLemmaTokenizer({**SpacyLemmaTokenizer.get_default_config(), **config})
    return [(t.text, t.lemma) for t in tokenizer.tokenize(Message({"text": text}), "text")]


def test_a_kazakh_case_ending_after_a_hyphen_stays_on_its_word() -> None:
    tokens = [text for text, _ in _tokens("ХҚКО-ға қалай барамын?")]
    assert tokens == ["ХҚКО-ға", "қалай", "барамын"]


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [("справки о несудимости", "spravka o nesudimosti"), ("как получить", "kak poluchit")],
)
def test_russian_in_both_scripts_and_forms_has_the_same_lemmas(cyrillic: str, latin: str) -> None:
    assert [lemma for _, lemma in _tokens(cyrillic)] == [lemma for _, lemma in _tokens(latin)]


def test_kazakh_words_keep_their_form_and_every_spelling_meets_one_lemma() -> None:
    expected = ["балабакшага", "кезекке", "калаи", "турамиз"]
    for spelling in (
        "balabaqshaga kezekke qalai turamyz",
        "балабақшаға кезекке қалай тұрамыз",
        "балабакшага кезекке калай турамыз",
        "balabaqşağa kezekke qalai tūramyz",
    ):
        assert [lemma for _, lemma in _tokens(spelling)] == expected, spelling
    assert [lemma for _, lemma in _tokens("баланы тіркеу керек")] == ["балани", "тиркеу", "керек"]


def test_folding_and_lemmas_can_be_switched_off() -> None:
    assert _tokens("spravki", fold_latin=False, lemmas=False) == [("spravki", "spravki")]


def test_punctuation_alone_is_one_token() -> None:
    assert _tokens("???") == [("???", "???")]
