"""The register of public services: load it from the editors' YAML files and search it.

Editors keep one YAML file per life situation under `register/`; every file is checked
against `register_schema.yml` on load, so a typo stops the action server at start with the
file and the service named, instead of turning into a wrong answer for a citizen.
Search folds every script to Cyrillic and compares character n-grams, which survives typos,
Kazakh suffixes and Latin-script spellings of both languages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

import jsonschema
import numpy as np
import yaml
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.language import LANGUAGES, Lang, as_cyrillic, to_cyrillic

SCHEMA_PATH = Path(__file__).with_name("register_schema.yml")
SITUATIONS_SCHEMA_PATH = Path(__file__).with_name("life_situations_schema.yml")
SITUATIONS_FILE = "life_situations.yml"
DEFAULT_PATH = Path(os.environ.get("REGISTER_PATH", "register"))

# A query must score at least this against one of a service's names or synonyms to count as
# a match; measured on the phrasings in tests/bot/test_register.py, where right answers score
# above 0.4 and unrelated text below 0.2.
MIN_SCORE = 0.3
# Semantic search compares sentence vectors centred on the mean of the register's phrases
# (e5 puts any two sentences close; centring removes what they all share): a similarity at or
# below SEMANTIC_FLOOR counts as none, and meaning weighs SEMANTIC_WEIGHT against spelling.
# Measured on tests/data/service_questions.yml: spelling alone finds 90.7% of the services
# first, both together 94.0%, and a question naming no service ("где подать?") stays near
# MIN_SCORE.
SEMANTIC_FLOOR = 0.3
SEMANTIC_WEIGHT = 0.5
# Words of how a question is asked, not of what it names ("как", "қалай", "үшін"): spelling
# compares a query without them, since the register's names have none and every n-gram they
# add only dilutes the score ("жшс қалай ашамын" against "ЖШС ашу"). Folded as `normalise`
# folds. Measured on tests/data/service_questions.yml: 3 more questions find their service
# first, and no out-of-scope message of the held-out set finds one.
_QUESTION_WORDS = """
как что где когда куда какой какая какие каким нужно надо можно ли мне я мы хочу это чтобы
если а и в на с по у о от до из за при или же бы не ни для
қалай қандай қайда қашан неге не үшін керек ма ме ба бе па пе бола болады ала аламын алам
мен біз маған бізге ғой енді және да де та те ше ші шы
"""
QUESTION_WORDS = frozenset(_QUESTION_WORDS.split())


_FOLDED_QUESTION_WORDS = frozenset(to_cyrillic(word) for word in QUESTION_WORDS)


class RegisterError(ValueError):
    """A register file that does not follow the schema; the message names file and service."""


@dataclass(frozen=True)
class Service:
    """One public service, with every fact in Kazakh and Russian (None where unknown)."""

    id: str
    code: str | None
    life_situation: str
    name: dict[Lang, str]
    synonyms: dict[Lang, list[str]]
    body: dict[Lang, str]
    channels: list[str]
    where: dict[Lang, str]
    who: dict[Lang, str] | None
    deadline: dict[Lang, str] | None
    documents: dict[Lang, list[str]] | None
    fee: dict[Lang, str] | None
    processing_time: dict[Lang, str] | None
    result: dict[Lang, str] | None
    source: str
    checked_on: dt.date

    def source_in(self, language: Lang) -> str:
        """The official page in the citizen's language: gov.kz and egov.kz serve every page
        in Kazakh and Russian, by a `lang` parameter or a /cms/<language>/ path."""
        url = urlparse(self.source)
        host = url.hostname or ""
        code = {"kk": "kk", "ru": "ru"}[language]
        if host.endswith("egov.kz") and re.match(r"^/cms/[a-z]{2}/", url.path):
            url = url._replace(path=f"/cms/{code}/{url.path[8:]}")
            query = [(k, v) for k, v in parse_qsl(url.query) if k != "lang"]
            return urlunparse(url._replace(query=urlencode(query)))
        if host in ("gov.kz", "www.gov.kz"):
            query = [(k, v) for k, v in parse_qsl(url.query) if k != "lang"] + [("lang", code)]
            return urlunparse(url._replace(query=urlencode(query)))
        return self.source

    def phrases(self) -> list[str]:
        """Every way the register names this service, in both languages."""
        return [
            *(self.name[lang] for lang in LANGUAGES),
            *(phrase for lang in LANGUAGES for phrase in self.synonyms[lang]),
        ]


@dataclass(frozen=True)
class GuideStep:
    service: str
    question: dict[Lang, str]


@dataclass(frozen=True)
class LifeSituation:
    """One of the nine life situations, and its step-by-step guide if it has one."""

    id: str
    name: dict[Lang, str]
    keywords: dict[Lang, list[str]]
    guide: list[GuideStep]

    def phrases(self) -> list[str]:
        return [
            *(self.name[lang] for lang in LANGUAGES),
            *(word for lang in LANGUAGES for word in self.keywords[lang]),
        ]


@dataclass(frozen=True)
class Match:
    service: Service
    score: float


def _validator(path: Path) -> jsonschema.protocols.Validator:
    with path.open(encoding="utf-8") as file:
        return jsonschema.Draft202012Validator(yaml.safe_load(file))


def _read(path: Path, validator: jsonschema.protocols.Validator, key: str) -> Any:
    """A register file's data, checked against its schema; errors name file and entry."""
    try:
        with path.open(encoding="utf-8") as file:
            data = yaml.safe_load(file)
    except yaml.YAMLError as error:
        raise RegisterError(f"{path}: not valid YAML: {error}") from error
    # YAML reads 2026-11-23 as a date; the schema speaks JSON, where dates are strings.
    for entry in (data or {}).get(key) or []:
        if isinstance(entry, dict) and isinstance(entry.get("checked_on"), dt.date):
            entry["checked_on"] = entry["checked_on"].isoformat()
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(part) for part in first.absolute_path) or "(top level)"
        entry_id = _entry_id(data, list(first.absolute_path))
        raise RegisterError(f"{path}: {entry_id}{where}: {first.message}")
    return data


def _load_file(path: Path, validator: jsonschema.protocols.Validator) -> list[Service]:
    data = _read(path, validator, "services")
    services = []
    for entry in data["services"]:
        try:
            checked_on = dt.date.fromisoformat(entry["checked_on"])
        except ValueError as error:
            raise RegisterError(f"{path}: service '{entry['id']}': checked_on: {error}") from error
        services.append(Service(**{**entry, "checked_on": checked_on}))
    return services


def _entry_id(data: Any, path: list[Any]) -> str:
    """Name the entry an error is in, so an editor finds it without counting entries."""
    if len(path) >= 2 and path[0] in ("services", "life_situations"):
        entry = data[path[0]][path[1]]
        if isinstance(entry, dict) and "id" in entry:
            kind = "service" if path[0] == "services" else "life situation"
            return f"{kind} '{entry['id']}': "
    return ""


def _load_situations(path: Path, services: dict[str, Service]) -> list[LifeSituation]:
    data = _read(path, _validator(SITUATIONS_SCHEMA_PATH), "life_situations")
    situations = []
    for entry in data["life_situations"]:
        guide = [GuideStep(**step) for step in entry.get("guide", [])]
        missing = [step.service for step in guide if step.service not in services]
        if missing:
            raise RegisterError(
                f"{path}: life situation '{entry['id']}': guide names services not in the "
                f"register: {', '.join(missing)}"
            )
        situations.append(LifeSituation(**{**entry, "guide": guide}))
    return situations


class Embeds(Protocol):
    """What semantic search needs of a sentence model (bot.embedding.Embedder)."""

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


def _unit(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-9), dtype=np.float32)


class _PhraseIndex:
    """How close a query is to named things: character n-grams, and meaning if it can.

    Character n-grams (TF-IDF cosine, every script folded to Cyrillic) catch typos, suffixes
    and Latin spellings; sentence vectors catch paraphrases and the other language. Each owner
    scores by its best phrase, the two scores averaged (`SEMANTIC_WEIGHT`).
    """

    def __init__(self, phrases: list[tuple[str, str]], embedder: Embeds | None = None) -> None:
        self.owners = [owner for owner, _ in phrases]
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform([normalise(text) for _, text in phrases])
        self.embedder = embedder
        self.vectors: NDArray[np.float32] | None = None
        if embedder is not None:
            vectors = embedder.encode([text for _, text in phrases])
            self.centre = vectors.mean(axis=0)
            self.vectors = _unit(vectors - self.centre)

    def best(self, query: str) -> list[tuple[str, float]]:
        """Owners scoring at least MIN_SCORE, best first, each once."""
        spelled = self.vectorizer.transform([_without_question_words(query)])
        scores = (self.matrix @ spelled.T).toarray().ravel()
        if self.embedder is not None and self.vectors is not None:
            query_vector = self.embedder.encode([as_cyrillic(query)]) - self.centre
            similarity = self.vectors @ _unit(query_vector)[0]
            meaning = np.clip((similarity - SEMANTIC_FLOOR) / (1.0 - SEMANTIC_FLOOR), 0.0, 1.0)
            scores = (1 - SEMANTIC_WEIGHT) * scores + SEMANTIC_WEIGHT * meaning
        ranked: dict[str, float] = {}
        for index in np.argsort(-scores):
            score = float(scores[index])
            if score < MIN_SCORE:
                break
            ranked.setdefault(self.owners[index], round(score, 3))
        return list(ranked.items())


class Register:
    """All services of the register, searchable by id, name, synonym or life situation."""

    def __init__(
        self,
        services: list[Service],
        situations: list[LifeSituation] | None = None,
        embedder: Embeds | None = None,
    ) -> None:
        """`embedder`: search by meaning as well as by spelling (see _PhraseIndex)."""
        ids = [service.id for service in services]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise RegisterError(f"service ids used twice: {', '.join(duplicates)}")
        self.services = services
        self.situations = situations or []
        self._by_id = {service.id: service for service in services}
        self._by_code = {service.code: service for service in services if service.code}
        self.embedder = embedder

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH, embedder: Embeds | None = None) -> Register:
        """Load and validate every file of a register folder."""
        files = sorted(f for f in path.glob("*.yml") if f.name != SITUATIONS_FILE)
        if not files:
            raise RegisterError(f"{path}: no register files (*.yml) found")
        validator = _validator(SCHEMA_PATH)
        services = [service for file in files for service in _load_file(file, validator)]
        situations_file = path / SITUATIONS_FILE
        situations = (
            _load_situations(situations_file, {s.id: s for s in services})
            if situations_file.exists()
            else []
        )
        return cls(services, situations, embedder)

    def get(self, service_id: str) -> Service | None:
        return self._by_id.get(service_id)

    def situation(self, situation_id: str) -> LifeSituation | None:
        return next((s for s in self.situations if s.id == situation_id), None)

    def services_of(self, situation_id: str) -> list[Service]:
        return [s for s in self.services if s.life_situation == situation_id]

    @cached_property
    def _services_index(self) -> _PhraseIndex:
        phrases = [(s.id, p) for s in self.services for p in s.phrases()]
        return _PhraseIndex(phrases, self.embedder)

    @cached_property
    def _situations_index(self) -> _PhraseIndex:
        phrases = [(s.id, p) for s in self.situations for p in s.phrases()]
        return _PhraseIndex(phrases, self.embedder)

    def prepare(self) -> int:
        """Build the search indexes of services and life situations now (how many phrases
        they hold): each encodes all its phrases, up to a second, which a citizen's first
        question would otherwise wait for."""
        return len(self._services_index.owners) + len(self._situations_index.owners)

    def search(self, query: str, limit: int = 3) -> list[Match]:
        """The service a code in the query names, else the best matches of its words."""
        coded = [self._by_code[code] for code in _CODE.findall(query) if code in self._by_code]
        if coded:
            return [Match(coded[0], 1.0)]
        return [
            Match(self._by_id[service_id], score)
            for service_id, score in self._services_index.best(query)[:limit]
        ]

    def find_situation(self, query: str) -> LifeSituation | None:
        """The life situation a citizen's words name, if any."""
        found = self.match_situation(query)
        return found[0] if found else None

    def match_situation(self, query: str) -> tuple[LifeSituation, float] | None:
        """The life situation a citizen's words name, with how well (a `search` score)."""
        if not self.situations:
            return None
        best = self._situations_index.best(query)
        situation = self.situation(best[0][0]) if best else None
        return (situation, best[0][1]) if situation else None


_CODE = re.compile(r"(?<!\d)\d{8}(?!\d)")

# Words that ask for one fact of a service ("сколько стоит замена удостоверения", "ЖК ашуға
# қандай құжаттар керек"), on the text folded to Cyrillic without Kazakh letters (қ → к…),
# so every spelling meets one pattern. "Срок" alone is not enough: "истёк срок
# удостоверения" asks for a new one, not for how long it takes.
FACT_QUESTIONS = {
    "fee": re.compile(
        r"ско(ль|л)ко сто[ий]т|скока сто[ий]т|стоимост|цена|пошлин|платно|бесплатн|сколько платить"
        r"|канша турады|багасы|акысы|акылы|тегин|\bбаж"
    ),
    "documents": re.compile(
        r"какие документы|какие нужны документы|документы нужны|что нужно принести"
        r"|какие справки|кандай кужат|кужаттар|кужат керек"
    ),
    "processing_time": re.compile(
        r"сколько дней|как долго|сколько ждать|когда будет готов|срок оформлен|срок изготовлен"
        r"|срок рассмотрен|канша кун|канша уакыт|кашан дайын"
    ),
}
_PLAIN = str.maketrans("қүұіәөғңһ", "кууиаогнх")


def asked_fact(text: str) -> str | None:
    """The one fact (`fee`, `documents`, `processing_time`) a question asks, if it asks one."""
    folded = to_cyrillic(text.lower().replace("ё", "е")).translate(_PLAIN)
    asked = [fact for fact, pattern in FACT_QUESTIONS.items() if pattern.search(folded)]
    return asked[0] if len(asked) == 1 else None


def normalise(text: str) -> str:
    return to_cyrillic(text.lower().replace("ё", "е"))


def _without_question_words(query: str) -> str:
    """The normalised query without QUESTION_WORDS (all of it, if nothing else is left)."""
    folded = normalise(query)
    words = [w for w in re.findall(r"\w+(?:-\w+)*", folded) if w not in _FOLDED_QUESTION_WORDS]
    return " ".join(words) or folded


def nlu_examples(
    register: Register, per_language: int = 3, owners: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Training examples naming every service, generated from the register.

    Citizens often just name the service ("ЖК ашу", "свидетельство о рождении"); the model
    learns that such names are `ask_service` questions from the register itself, so a service
    an editor adds is understood after the next `make train` without touching the topics.
    A service a topic covers (`owners`: service id to the topic's intent, see Topic.services)
    teaches that topic instead.
    """
    examples: dict[str, set[str]] = {}
    for service in register.services:
        intent = (owners or {}).get(service.id, "ask_service")
        for language in LANGUAGES:
            names = [service.name[language], *service.synonyms[language][:per_language]]
            examples.setdefault(intent, set()).update(names)
    return {intent: sorted(texts) for intent, texts in sorted(examples.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description="Check the register.")
    parser.add_argument("command", choices=["check"])
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args()
    try:
        register = Register.load(args.path)
    except RegisterError as error:
        raise SystemExit(f"Register error: {error}") from error
    print(f"{len(register.services)} services, {len(register.situations)} life situations")


if __name__ == "__main__":
    main()
