"""Tell Kazakh from Russian in what citizens really type.

Citizens write Kazakh in Cyrillic, in the official Latin alphabets (2018 and 2021) and in
informal ASCII ("qalai", "kezekke"); Russian in Cyrillic and in transliteration
("kak poluchit"); and often mix both. The detector folds every script to Cyrillic, counts the
letters only Kazakh has, and asks lingua (a statistical detector restricted to the two
languages) for the rest. A message with no letters, or too close to call, yields no language,
so the conversation keeps the one it has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

Lang = Literal["kk", "ru"]
Script = Literal["cyrillic", "latin", "mixed", "none"]

LANGUAGES: tuple[Lang, ...] = ("kk", "ru")

# Letters of the Kazakh Cyrillic alphabet that Russian does not have.
KAZAKH_CYRILLIC = frozenset("әғқңөұүһі")
# Letters of the 2018 and 2021 Kazakh Latin alphabets, and the informal "q", that a Russian
# transliteration never uses.
KAZAKH_LATIN = frozenset("äğöüūñşıáǵńóúýq")

# Latin to Cyrillic, longest sequences first; ambiguous letters go to their Russian reading,
# which lingua then weighs against the Kazakh markers.
_DIGRAPHS = (
    ("shch", "щ"),
    ("sh", "ш"),
    ("ch", "ч"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ts", "ц"),
    ("ya", "я"),
    ("yu", "ю"),
    ("yo", "ё"),
)
_LETTERS = str.maketrans(
    {
        "a": "а", "b": "б", "c": "с", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х",
        "i": "и", "j": "ж", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п",
        "q": "қ", "r": "р", "s": "с", "t": "т", "u": "у", "v": "в", "w": "у", "x": "х",
        "y": "ы", "z": "з", "'": "ь",
        "ä": "ә", "á": "ә", "ğ": "ғ", "ǵ": "ғ", "ö": "ө", "ó": "ө", "ü": "ү", "ý": "у",
        "ū": "ұ", "ú": "ү", "ñ": "ң", "ń": "ң", "ş": "ш", "ç": "ч", "ı": "і", "ī": "и",
    }
)  # fmt: skip

# Frequent Kazakh words that survive being typed without Kazakh letters ("salemetsiz be",
# "kerek", "ushin", "merzimi bitti"), as they read once folded to Cyrillic. Russian has none.
KAZAKH_WORDS = frozenset(
    {
        "бе", "ба", "ма", "ме", "па", "пе", "керек", "калай", "кайда", "кайдан", "кандай",
        "канша", "кашан", "неге", "ушин", "туралы", "жане", "сиз", "сизге", "сиздер", "сен",
        "маган", "мен", "биз", "олар", "осы", "бул", "бар", "жок", "емес", "иа", "ие", "ия",
        "макул", "жарайды", "жаксы", "салем", "салеметсиз", "салеметсизбе", "кайырлы", "сау",
        "болыныз", "рахмет", "болады", "бола", "аламын", "алу", "алуга", "беру", "бала",
        "баланын", "жеке", "куалик", "куаликти", "тиркеу", "тиркелу", "ашу", "келеди",
        "кызмет", "кызметтер", "комек", "кажет", "кезек", "кезекке", "кужат", "кужаттар",
        "мерзими", "битти", "кетти", "отип", "отиниш",
    }
)  # fmt: skip
# Frequent Russian words Kazakh does not use ("да", "нет", "ты", "пожалуйста"): a short
# Russian message often has nothing else to tell it by. ("не" is Kazakh too: "what".)
RUSSIAN_WORDS = frozenset(
    {
        "да", "нет", "неа", "ага", "угу", "спс", "пасиб", "спасибо", "пожалуйста", "стоп",
        "хватит", "ты", "вы", "я", "мне", "меня", "мой", "как", "что", "где", "когда",
        "почему", "какой", "какая", "какие", "сколько", "можно", "нужно", "надо", "это",
        "или", "если", "для", "на", "по", "в", "и", "с", "у", "из", "от", "до", "за", "о",
        "об", "про", "уже", "еще", "очень", "хорошо", "здравствуйте", "привет",
    }
)  # fmt: skip

_CYRILLIC = re.compile(r"[а-яёәғқңөұүһі]", re.IGNORECASE)
_LATIN = re.compile(r"[a-zäáğǵöóüýūúñńşçıī]", re.IGNORECASE)

# Below this confidence (after the Kazakh-letter evidence) the message is too close to call,
# and the conversation keeps its language. One word with no Kazakh letter ("оператор", "ok")
# is shared by both languages more often than not, so it must be far more certain.
MIN_CONFIDENCE = 0.7
MIN_CONFIDENCE_ONE_WORD = 0.9


@dataclass(frozen=True)
class Detection:
    """The outcome for one message: the language (None when undecided) and why."""

    language: Lang | None
    confidence: float
    script: Script


def script_of(text: str) -> Script:
    """Which alphabet(s) a message is written in."""
    cyrillic = len(_CYRILLIC.findall(text))
    latin = len(_LATIN.findall(text))
    if not cyrillic and not latin:
        return "none"
    if cyrillic and latin:
        smaller, larger = sorted((cyrillic, latin))
        if smaller / larger >= 0.2:
            return "mixed"
    return "cyrillic" if cyrillic >= latin else "latin"


# An "i" or "y" after a vowel and not before one is the "й" of "qalai", "qaida", "aitu",
# "kakoy", "pozhaluysta" (and, wrongly but rarely, of Russian "stoit": "стойт").
_SHORT_I = re.compile(r"(?<=[aeiouyäöüūıáóúý])[iy](?![aeiouyäöüūıáóúý])")


def to_cyrillic(text: str) -> str:
    """Fold Latin-script Kazakh or Russian into Cyrillic, leaving Cyrillic as it is."""
    folded = _SHORT_I.sub("й", text.lower())
    for latin, cyrillic in _DIGRAPHS:
        folded = folded.replace(latin, cyrillic)
    return folded.translate(_LETTERS)


# Kazakh letters as a Russian keyboard types them: what a citizen types without Kazakh
# letters ("кужаттар кажет пе") and correct Kazakh ("құжаттар қажет пе") meet in one form.
_PLAIN = str.maketrans("қүұіәөғңһ", "кууиаогнх")


def plain(text: str) -> str:
    """Kazakh letters replaced by the Russian ones a keyboard without them gives."""
    return text.translate(_PLAIN)


# What still differs between alphabets once folded to Cyrillic ("qalaı" of 2018 is "қалаі",
# "ūialy" of 2021 is "ұиалы", informal "auystyru" is "ауйстыру"): й, ы, я, ю, щ written as
# their sounds, so every spelling of a word meets one key. Only for features: never shown,
# never sent back.
_SOUNDS = str.maketrans({"й": "и", "ы": "и", "я": "иа", "ю": "иу", "щ": "ш", "ё": "е"})


def canonical(text: str) -> str:
    """Cyrillic text with й, ы, я, ю, щ, ё written as the Latin alphabets spell them."""
    return text.translate(_SOUNDS).replace("шш", "ш")


def fold(text: str) -> str:
    """One form for every spelling of a text: lower case, Latin folded to Cyrillic, Kazakh
    letters as a Russian keyboard types them, й/ы/я/ю/щ/ё as their sounds ("Qūjattar",
    "кужаттар" and "құжаттар" all give "кужаттар")."""
    return canonical(plain(to_cyrillic(text.lower())))


def as_cyrillic(text: str) -> str:
    """A message in Latin letters folded to Cyrillic, others as they are: the sentence model
    knows Kazakh and Russian far better in Cyrillic ("balabaqshaga kezek" → "балабақшага
    кезек"; measured in docs/nlu.md)."""
    return to_cyrillic(text) if script_of(text) in ("latin", "mixed") else text


@lru_cache(maxsize=1)
def _lingua() -> LanguageDetector:
    return (
        LanguageDetectorBuilder.from_languages(Language.KAZAKH, Language.RUSSIAN)
        .with_preloaded_language_models()
        .build()
    )


def detect(text: str) -> Detection:
    """Detect the language of one message."""
    script = script_of(text)
    if script == "none":
        return Detection(None, 0.0, script)
    lowered = text.lower()
    folded = to_cyrillic(lowered)
    markers = sum(ch in KAZAKH_CYRILLIC or ch in KAZAKH_LATIN for ch in lowered)
    markers += sum(word in KAZAKH_WORDS for word in re.findall(r"\w+", folded))
    kazakh = _lingua().compute_language_confidence(folded, Language.KAZAKH)
    # Every letter or word only Kazakh has is strong evidence; a word or two of Russian
    # inside Kazakh (code-switching) does not outweigh it. Russian words count only when
    # nothing Kazakh is there.
    russian = 0 if markers else sum(word in RUSSIAN_WORDS for word in re.findall(r"\w+", folded))
    if markers:
        kazakh = max(kazakh, min(1.0, 0.75 + 0.1 * markers))
    elif russian:
        kazakh = min(kazakh, 1.0 - min(1.0, 0.75 + 0.1 * russian))
    sure = markers or russian or len(text.split()) > 1
    threshold = MIN_CONFIDENCE if sure else MIN_CONFIDENCE_ONE_WORD
    if kazakh >= threshold:
        return Detection("kk", round(kazakh, 3), script)
    if 1.0 - kazakh >= threshold:
        return Detection("ru", round(1.0 - kazakh, 3), script)
    return Detection(None, round(max(kazakh, 1.0 - kazakh), 3), script)


# How citizens name the language they want answers in ("қазақша жауап беріңізші", "ответьте
# по-русски", "можно на казахском", "orysşa jazyñyzşy"), matched on the text folded to Cyrillic.
_REQUESTS: dict[Lang, re.Pattern[str]] = {
    "kk": re.compile(r"(?<!\w)(қазақ|казақ|казах|казак)"),
    "ru": re.compile(r"(?<!\w)(орыс|орис|русск|руск|по-русски|по русски|поруски|порусски)"),
}


def requested_language(text: str) -> Lang | None:
    """The language a message asks to be answered in, if it names exactly one."""
    folded = to_cyrillic(text.lower())
    named = [language for language, pattern in _REQUESTS.items() if pattern.search(folded)]
    return named[0] if len(named) == 1 else None
