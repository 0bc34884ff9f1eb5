"""The register of public services: load it from the editors' YAML files and search it.

Editors keep one YAML file per life situation under `register/`; every file is checked
against `register_schema.yml` on load, so a typo stops the action server at start with the
file and the service named, instead of turning into a wrong answer for a citizen.
Search folds every script to Cyrillic and compares character n-grams, which survives typos,
Kazakh suffixes and Latin-script spellings of both languages.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.language import LANGUAGES, Lang, to_cyrillic

SCHEMA_PATH = Path(__file__).with_name("register_schema.yml")
DEFAULT_PATH = Path(os.environ.get("REGISTER_PATH", "register"))

# A query must share at least this much of its character n-grams (cosine of TF-IDF vectors)
# with one of a service's names or synonyms to count as a match; measured on the phrasings in
# tests/bot/test_register.py, where right answers score above 0.4 and unrelated text below 0.2.
MIN_SCORE = 0.3


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

    def phrases(self) -> list[str]:
        """Every way the register names this service, in both languages."""
        return [
            *(self.name[lang] for lang in LANGUAGES),
            *(phrase for lang in LANGUAGES for phrase in self.synonyms[lang]),
        ]


@dataclass(frozen=True)
class Match:
    service: Service
    score: float


def _schema() -> dict[str, Any]:
    with SCHEMA_PATH.open(encoding="utf-8") as file:
        schema: dict[str, Any] = yaml.safe_load(file)
    return schema


def _load_file(path: Path, validator: jsonschema.protocols.Validator) -> list[Service]:
    try:
        with path.open(encoding="utf-8") as file:
            data = yaml.safe_load(file)
    except yaml.YAMLError as error:
        raise RegisterError(f"{path}: not valid YAML: {error}") from error
    # YAML reads 2026-11-23 as a date; the schema speaks JSON, where dates are strings.
    for entry in (data or {}).get("services") or []:
        if isinstance(entry, dict) and isinstance(entry.get("checked_on"), dt.date):
            entry["checked_on"] = entry["checked_on"].isoformat()
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(part) for part in first.absolute_path) or "(top level)"
        entry_id = _entry_id(data, list(first.absolute_path))
        raise RegisterError(f"{path}: {entry_id}{where}: {first.message}")
    services = []
    for entry in data["services"]:
        try:
            checked_on = dt.date.fromisoformat(entry["checked_on"])
        except ValueError as error:
            raise RegisterError(f"{path}: service '{entry['id']}': checked_on: {error}") from error
        services.append(Service(**{**entry, "checked_on": checked_on}))
    return services


def _entry_id(data: Any, path: list[Any]) -> str:
    """Name the service an error is in, so an editor finds it without counting entries."""
    if len(path) >= 2 and path[0] == "services":
        entry = data["services"][path[1]]
        if isinstance(entry, dict) and "id" in entry:
            return f"service '{entry['id']}': "
    return ""


class Register:
    """All services of the register, searchable by id, name, synonym or life situation."""

    def __init__(self, services: list[Service]) -> None:
        ids = [service.id for service in services]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise RegisterError(f"service ids used twice: {', '.join(duplicates)}")
        self.services = services
        self._by_id = {service.id: service for service in services}

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> Register:
        """Load and validate every `*.yml` file of a register folder."""
        files = sorted(path.glob("*.yml"))
        if not files:
            raise RegisterError(f"{path}: no register files (*.yml) found")
        validator = jsonschema.Draft202012Validator(_schema())
        return cls([service for file in files for service in _load_file(file, validator)])

    def get(self, service_id: str) -> Service | None:
        return self._by_id.get(service_id)

    @cached_property
    def _index(self) -> tuple[TfidfVectorizer, Any, list[Service]]:
        owners = [service for service in self.services for _ in service.phrases()]
        phrases = [_normalise(p) for service in self.services for p in service.phrases()]
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
        matrix = vectorizer.fit_transform(phrases)
        return vectorizer, matrix, owners

    def search(self, query: str, limit: int = 3) -> list[Match]:
        """Services whose names or synonyms best match a citizen's words, best first."""
        vectorizer, matrix, owners = self._index
        scores = (matrix @ vectorizer.transform([_normalise(query)]).T).toarray().ravel()
        best: dict[str, Match] = {}
        for index in np.argsort(-scores):
            score = float(scores[index])
            if score < MIN_SCORE:
                break
            service = owners[index]
            if service.id not in best:
                best[service.id] = Match(service, round(score, 3))
        return list(best.values())[:limit]


def _normalise(text: str) -> str:
    return to_cyrillic(text.lower().replace("ё", "е"))
