"""The ways citizens spell a question, generated from one correctly written question.

Citizens write Kazakh in Cyrillic without the Kazakh letters (a Russian keyboard), in the
2018 Latin alphabet (acute accents), in the 2021 one, and in informal ASCII; Russian in
Latin transliteration; both with typos. Editors write each training question once, correctly;
`variants` derives these spellings from it, so the model learns every way of writing the
question without editors typing it five times. Each transliteration follows its published
table; the informal ones and the typos follow what citizens type, chosen by a seeded random
generator, so a build is reproducible.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from komekshi.core.language import KAZAKH_CYRILLIC, Lang

# Kazakh Cyrillic → the Latin alphabet of 2021 (Decree of 2021-01-28 draft as published:
# ä ğ ñ ö ş ū ü ı, İ i for и/й).
_LATIN_2021 = {
    "а": "a", "ә": "ä", "б": "b", "в": "v", "г": "g", "ғ": "ğ", "д": "d", "е": "e",
    "ё": "io", "ж": "j", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "q", "л": "l",
    "м": "m", "н": "n", "ң": "ñ", "о": "o", "ө": "ö", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ұ": "ū", "ү": "ü", "ф": "f", "х": "h", "һ": "h", "ц": "ts",
    "ч": "ç", "ш": "ş", "щ": "şş", "ъ": "", "ы": "y", "і": "ı", "ь": "", "э": "e",
    "ю": "iu", "я": "ia",
}  # fmt: skip
# Kazakh Cyrillic → the Latin alphabet of 2018 (Decree No. 637 as amended 2018-02-19:
# acute accents, sh and ch digraphs).
_LATIN_2018 = {
    "а": "a", "ә": "á", "б": "b", "в": "v", "г": "g", "ғ": "ǵ", "д": "d", "е": "e",
    "ё": "ıo", "ж": "j", "з": "z", "и": "ı", "й": "ı", "к": "k", "қ": "q", "л": "l",
    "м": "m", "н": "n", "ң": "ń", "о": "o", "ө": "ó", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "ý", "ұ": "u", "ү": "ú", "ф": "f", "х": "h", "һ": "h", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e",
    "ю": "ıý", "я": "ıa",
}  # fmt: skip
# Kazakh letters as a Russian keyboard types them.
_NO_KAZAKH_LETTERS = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")
# Informal ASCII as citizens type it: several habits for some letters, one picked per message.
_ASCII_KAZAKH: dict[str, tuple[str, ...]] = {
    "а": ("a",), "ә": ("a", "ae", "a"), "б": ("b",), "в": ("v",), "г": ("g",),
    "ғ": ("g", "gh", "g"), "д": ("d",), "е": ("e",), "ё": ("yo",), "ж": ("zh", "j"),
    "з": ("z",), "и": ("i",), "й": ("i", "y"), "к": ("k",), "қ": ("k", "q"), "л": ("l",),
    "м": ("m",), "н": ("n",), "ң": ("n", "ng"), "о": ("o",), "ө": ("o", "o", "oe"),
    "п": ("p",), "р": ("r",), "с": ("s",), "т": ("t",), "у": ("u", "w"), "ұ": ("u",),
    "ү": ("u", "u", "y"), "ф": ("f",), "х": ("h", "kh"), "һ": ("h",), "ц": ("ts", "c"),
    "ч": ("ch",), "ш": ("sh",), "щ": ("sh",), "ъ": ("",), "ы": ("y", "i"), "і": ("i",),
    "ь": ("",), "э": ("e",), "ю": ("yu", "iu"), "я": ("ya", "ia"),
}  # fmt: skip
_ASCII_RUSSIAN: dict[str, tuple[str, ...]] = {
    "а": ("a",), "б": ("b",), "в": ("v",), "г": ("g",), "д": ("d",), "е": ("e",),
    "ё": ("yo", "e"), "ж": ("zh", "j"), "з": ("z",), "и": ("i",), "й": ("y", "i", "j"),
    "к": ("k",), "л": ("l",), "м": ("m",), "н": ("n",), "о": ("o",), "п": ("p",),
    "р": ("r",), "с": ("s",), "т": ("t",), "у": ("u",), "ф": ("f",), "х": ("kh", "h"),
    "ц": ("ts", "c"), "ч": ("ch",), "ш": ("sh",), "щ": ("sch", "sh", "shch"), "ъ": ("",),
    "ы": ("y", "i"), "ь": ("", "'", ""), "э": ("e",), "ю": ("yu", "iu"), "я": ("ya", "ia"),
}  # fmt: skip
# What Russian speakers type for common words in chats.
_RUSSIAN_SLANG = {
    "сколько": ("скока", "скоко", "скольк"), "что": ("чё", "шо", "че"),
    "сейчас": ("щас",), "пожалуйста": ("пжлст", "пожалуста", "плиз"),
    "здравствуйте": ("здрасте", "здравствуйти"), "спасибо": ("спс", "пасиб"),
    "нужно": ("нуно", "нужн"), "чтобы": ("чтоб", "штобы"), "ребенка": ("ребёнка", "реб"),
    "документы": ("доки", "документики"), "справку": ("справочку", "справку"),
    "почему": ("почиму",), "вообще": ("вообще-то", "ваще"),
}  # fmt: skip
# Neighbouring keys on the Russian (ЙЦУКЕН) and Latin layouts, for slips of the finger.
_ROWS = ("йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS = {
    letter: row[max(0, i - 1) : i] + row[i + 1 : i + 2]
    for row in _ROWS
    for i, letter in enumerate(row)
}

_WORD = re.compile(r"\w+", re.UNICODE)


def _keep_case(pattern: str, text: str) -> str:
    if pattern[:1].isupper():
        return text[:1].upper() + text[1:]
    return text


def _per_letter(text: str, table: dict[str, str]) -> str:
    out = []
    for char in text:
        lower = char.lower()
        out.append(_keep_case(char, table[lower]) if lower in table else char)
    return "".join(out)


def latin_2021(text: str) -> str:
    """Kazakh Cyrillic in the 2021 Latin alphabet."""
    return _per_letter(text, _LATIN_2021)


def latin_2018(text: str) -> str:
    """Kazakh Cyrillic in the 2018 Latin alphabet (acute accents)."""
    return _per_letter(text, _LATIN_2018)


def without_kazakh_letters(text: str) -> str:
    """Kazakh as typed on a Russian keyboard: қ → к, ә → а, ү/ұ → у, і → и, ө → о, …"""
    return text.translate(_NO_KAZAKH_LETTERS)


def _informal(text: str, table: dict[str, tuple[str, ...]], rng: random.Random) -> str:
    habits = {letter: rng.choice(options) for letter, options in table.items()}
    return _per_letter(text, habits).lower()


def kazakh_ascii(text: str, rng: random.Random) -> str:
    """Kazakh in informal ASCII ("kuzhat kaida tapsyramyn", "qalai alamyn")."""
    return _informal(text, _ASCII_KAZAKH, rng)


def russian_translit(text: str, rng: random.Random) -> str:
    """Russian in informal Latin transliteration ("kak poluchit spravku")."""
    return _informal(text, _ASCII_RUSSIAN, rng)


def slang(text: str, rng: random.Random) -> str:
    """Russian with the chat spellings of common words ("скока", "чё", "щас")."""

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        options = _RUSSIAN_SLANG.get(word.lower())
        return _keep_case(word, rng.choice(options)) if options else word

    return _WORD.sub(swap, text)


def typos(text: str, rng: random.Random, edits: int = 2) -> str:
    """The text as typed in a hurry: a few slips in words of four letters or more (a letter
    dropped, doubled, swapped with the next, or a neighbouring key), lower case, no final
    punctuation."""
    words = text.lower().rstrip("?!.").split(" ")
    candidates = [i for i, word in enumerate(words) if sum(c.isalpha() for c in word) >= 4]
    for index in rng.sample(candidates, min(edits, len(candidates))):
        word = words[index]
        at = rng.randrange(1, len(word) - 1)
        kind = rng.choice(("drop", "double", "swap", "neighbour"))
        if kind == "drop":
            word = word[:at] + word[at + 1 :]
        elif kind == "double":
            word = word[:at] + word[at] + word[at:]
        elif kind == "swap":
            word = word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]
        elif neighbours := _NEIGHBOURS.get(word[at]):
            word = word[:at] + rng.choice(neighbours) + word[at + 1 :]
        words[index] = word
    return " ".join(words)


def is_kazakh_cyrillic(text: str) -> bool:
    """Whether a text is written in Cyrillic with at least one letter only Kazakh has."""
    return any(char in KAZAKH_CYRILLIC for char in text.lower())


def _cyrillic(text: str) -> bool:
    return bool(re.search(r"[а-яё]", text.lower())) and not re.search(r"[a-z]", text.lower())


# Each spelling a question may be given, by the question's language, with how it is made.
Spelling = Callable[[str, random.Random], str]
SPELLINGS: dict[Lang, dict[str, Spelling]] = {
    "kk": {
        "latin_2021": lambda text, rng: latin_2021(text),
        "latin_2018": lambda text, rng: latin_2018(text),
        "ascii": kazakh_ascii,
        "no_kazakh_letters": lambda text, rng: without_kazakh_letters(text),
        "typos": lambda text, rng: typos(without_kazakh_letters(text), rng),
    },
    "ru": {
        "translit": russian_translit,
        "slang": slang,
        "typos": typos,
    },
}
# Spellings that put a question in Latin letters.
LATIN_SPELLINGS = frozenset({"latin_2021", "latin_2018", "ascii", "translit"})


def variants(text: str, language: Lang, count: int, seed: int) -> list[tuple[str, str]]:
    """Up to `count` other spellings of a correctly written question, as (spelling, text),
    Latin ones first and none equal to the question or to each other. A question already in
    Latin letters gets only typos; a Kazakh question without Kazakh letters is not put
    through the letter tables (they would change nothing)."""
    rng = random.Random(f"{seed}:{language}:{text}")
    names = list(SPELLINGS[language])
    if not _cyrillic(text):
        names = ["typos"]
    elif language == "kk" and not is_kazakh_cyrillic(text):
        names = [n for n in names if n in ("ascii", "typos", "latin_2021")]
    latin = [n for n in names if n in LATIN_SPELLINGS]
    other = [n for n in names if n not in LATIN_SPELLINGS]
    rng.shuffle(latin)
    rng.shuffle(other)
    made: dict[str, str] = {}
    for name in [*latin, *other]:
        spelled = SPELLINGS[language][name](text, rng).strip()
        if spelled and spelled != text and spelled not in made.values():
            made[name] = spelled
        if len(made) == count:
            break
    return list(made.items())
