"""Language detection on messages written the way citizens write them."""

from __future__ import annotations

import pytest

from komekshi.core.language import detect, script_of, to_cyrillic

KAZAKH = [
    "бала туғанда пособие қалай аламын",  # Cyrillic, with a Russian word in it
    "ИП ашу үшін не керек",
    "жеке куәлікті қалай ауыстырамын",
    "Сәлеметсіз бе",
    "balabaqshaga kezekke qalai turamyz",  # informal ASCII
    "men jeke kásipker bolǵym keledi",  # 2018 Latin alphabet
    "Sälemetsız be, jeke kuälik kerek",  # 2021 Latin alphabet
    "jeke kualikti qalai auystyramyn",
    "salemetsiz be",  # no Kazakh letter at all
    "men IP ashkym keledi",
    "бала тууын тіркеу керек",
]
RUSSIAN = [
    "как заменить удостоверение личности",
    "Здравствуйте",
    "у нас родился ребенок как его зарегистрировать",
    "spravka o nesudimosti kak poluchit",  # transliterated
    "kak otkryt IP",
    "хочу поговорить с живым человеком",
    "спасибо большое",
]


@pytest.mark.parametrize("text", KAZAKH)
def test_kazakh_in_any_script_is_kazakh(text: str) -> None:
    assert detect(text).language == "kk"


@pytest.mark.parametrize("text", RUSSIAN)
def test_russian_in_any_script_is_russian(text: str) -> None:
    assert detect(text).language == "ru"


@pytest.mark.parametrize("text", ["оператор", "ok", "123", "👍", "???", ""])
def test_words_both_languages_share_leave_the_language_open(text: str) -> None:
    assert detect(text).language is None


def test_script_is_reported() -> None:
    assert script_of("сәлем") == "cyrillic"
    assert script_of("salem") == "latin"
    assert script_of("ИП ashu kerek") == "mixed"
    assert script_of("2+2") == "none"


def test_latin_kazakh_folds_to_cyrillic() -> None:
    assert to_cyrillic("qalai") == "қалай"
    assert to_cyrillic("kakoi") == "какой"
    assert to_cyrillic("Şäkır") == "шәкір"  # 2021: ı is і
    assert to_cyrillic("zhol") == "жол"
