"""The spellings generated from one correctly written question are the ones citizens type."""

from __future__ import annotations

import random

import pytest

from komekshi.core.language import detect, fold, script_of
from tools.ml.spellings import (
    LATIN_SPELLINGS,
    kazakh_ascii,
    latin_2018,
    latin_2021,
    russian_translit,
    slang,
    typos,
    variants,
    without_kazakh_letters,
)

KAZAKH = "Баламды балабақшаға қалай жазамын? Құжаттар қажет пе?"


def test_kazakh_in_the_2021_latin_alphabet() -> None:
    assert latin_2021("Құжаттар қайда өтініш беру керек") == "Qūjattar qaida ötınış beru kerek"
    assert latin_2021("жеке куәлік, ұялы телефон, шешім") == "jeke kuälık, ūialy telefon, şeşım"


def test_kazakh_in_the_2018_latin_alphabet_with_acute_accents() -> None:
    assert latin_2018("Құжаттар қайда өтініш беру керек") == "Qujattar qaıda ótinish berý kerek"
    assert latin_2018("ғимарат, ү, ң") == "ǵımarat, ú, ń"


def test_kazakh_without_kazakh_letters_is_what_a_russian_keyboard_types() -> None:
    assert without_kazakh_letters(KAZAKH) == "Баламды балабакшага калай жазамын? Кужаттар кажет пе?"
    assert without_kazakh_letters("ӘҒҚҢӨҰҮҺІ әғқңөұүһі") == "АГКНОУУХИ агкноуухи"


def test_informal_ascii_is_plain_ascii() -> None:
    for seed in range(20):
        ascii_text = kazakh_ascii(KAZAKH, random.Random(seed))
        assert ascii_text.isascii() and ascii_text == ascii_text.lower()
    assert kazakh_ascii("құжат қайда", random.Random(1)) in {
        "kuzhat kaida", "quzhat qaida", "kujat kaida", "qujat qaida",
        "kuzhat kaiyda", "kuzhat kayda", "qujat qayda", "kujat kayda", "quzhat qayda",
    }  # fmt: skip


def test_russian_transliteration_is_plain_ascii() -> None:
    text = russian_translit("Как получить справку о несудимости?", random.Random(3))
    assert text.isascii()
    assert text.startswith("kak poluchit") and "spravku o nesudimost" in text


def test_slang_replaces_common_words() -> None:
    assert slang("сколько стоит", random.Random(0)).split()[0] in {"скока", "скоко", "скольк"}


def test_typos_change_a_few_letters_and_keep_the_words() -> None:
    question = "как получить справку о несудимости через портал"
    for seed in range(30):
        typed = typos(question, random.Random(seed))
        assert typed != question and len(typed.split()) == len(question.split())
        changed = sum(a != b for a, b in zip(typed.split(), question.split(), strict=True))
        assert 1 <= changed <= 2


@pytest.mark.parametrize(
    "question",
    ["Баламды балабақшаға қалай жазамын?", "Жеке куәліктің мерзімі бітті, не істеймін?"],
)
def test_every_kazakh_spelling_folds_to_the_same_features(question: str) -> None:
    """Symmetric folding: a spelling in any alphabet or keyboard meets the same words."""
    expected = fold(question).split()
    for spelling in (latin_2021, latin_2018, without_kazakh_letters):
        assert fold(spelling(question)).split() == expected, spelling.__name__


def test_every_kazakh_spelling_is_still_detected_as_kazakh() -> None:
    question = "Баламды балабақшаға кезекке қалай қоямын, қандай құжаттар керек?"
    for name, text in variants(question, "kk", count=5, seed=1):
        assert detect(text).language == "kk", (name, text)


def test_variants_are_latin_first_distinct_and_reproducible() -> None:
    made = variants(KAZAKH, "kk", count=3, seed=7)
    assert made == variants(KAZAKH, "kk", count=3, seed=7)
    assert len(made) == 3 and len({text for _, text in made}) == 3
    assert made[0][0] in LATIN_SPELLINGS and script_of(made[0][1]) == "latin"
    assert all(text != KAZAKH for _, text in made)


def test_a_question_already_in_latin_letters_only_gets_typos() -> None:
    assert [name for name, _ in variants("kak poluchit ecp onlain", "ru", 3, seed=1)] == ["typos"]


def test_russian_questions_get_a_transliteration() -> None:
    names = [name for name, _ in variants("Где получить справку о несудимости?", "ru", 2, 5)]
    assert names[0] == "translit"
