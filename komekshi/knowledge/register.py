"""The register of public services: load it from the editors' YAML files and look things up.

Editors keep one YAML file per group of services under `register/`; every file is checked
against `register_schema.yml` on load, so a typo stops the action server at start with the
file and the service named, instead of turning into a wrong answer for a citizen. Every fact
names the official page it was taken from and the day that page was read; a fact no official
text confirmed is simply absent, and the bot never prints it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

import jsonschema
import yaml

from komekshi.core.language import LANGUAGES, Lang
from komekshi.knowledge.search import Embeds, PhraseIndex

SCHEMA_PATH = Path(__file__).with_name("register_schema.yml")
SITUATIONS_SCHEMA_PATH = Path(__file__).with_name("life_situations_schema.yml")
SITUATIONS_FILE = "life_situations.yml"
DEFAULT_PATH = Path(os.environ.get("REGISTER_PATH", "register"))

FACTS: tuple[str, ...] = (
    "where", "who", "documents", "fee", "processing_time", "result", "deadline",
)  # fmt: skip
# A card that lacks one of these is not complete (the most asked services must be).
ESSENTIAL_FACTS: tuple[str, ...] = (
    "where", "who", "documents", "fee", "processing_time", "result",
)  # fmt: skip
# These channels mean a citizen can apply online.
ONLINE_CHANNELS = frozenset({"egov_portal", "egov_mobile"})
_CODE = re.compile(r"(?<!\d)\d{8}(?!\d)")


class RegisterError(ValueError):
    """A register file that does not follow the schema; the message names file and service."""


@dataclass(frozen=True)
class Source:
    """An official page, and the day someone read it for this entry."""

    key: str
    url: str
    title: str
    read_on: dt.date


@dataclass(frozen=True)
class Fact:
    """One fact of a service in both languages, with the page it was taken from.

    `items` holds a list (the documents), `text` the fact as one line in each language.
    """

    text: dict[Lang, str]
    source: Source
    items: dict[Lang, list[str]] | None = None


@dataclass(frozen=True)
class Service:
    """One public service: only facts an official text confirmed, each with its source."""

    id: str
    code: str | None
    life_situation: str
    name: dict[Lang, str]
    synonyms: dict[Lang, list[str]]
    body: dict[Lang, str]
    channels: list[str]
    page: str
    facts: dict[str, Fact]
    sources: dict[str, Source]
    verified: bool

    def fact(self, name: str) -> Fact | None:
        return self.facts.get(name)

    @property
    def online(self) -> bool:
        """Whether it can be applied for online (eGov.kz or eGov Mobile)."""
        return bool(ONLINE_CHANNELS & set(self.channels))

    @property
    def missing(self) -> list[str]:
        """The essential facts no official text has confirmed for this service yet."""
        return [name for name in ESSENTIAL_FACTS if name not in self.facts]

    @property
    def read_on(self) -> dt.date | None:
        """The oldest day one of the pages behind the stated facts was read."""
        days = [fact.source.read_on for fact in self.facts.values()]
        return min(days) if days else None

    def page_in(self, language: Lang) -> str:
        return in_language(self.page, language)

    def phrases(self) -> list[str]:
        """Every way the register names this service, in both languages."""
        return [
            *(self.name[lang] for lang in LANGUAGES),
            *(phrase for lang in LANGUAGES for phrase in self.synonyms[lang]),
        ]


def in_language(address: str, language: Lang) -> str:
    """An official page in the citizen's language, where the site serves both: gov.kz by a
    `lang` parameter, egov.kz by a /cms/<language>/ path, adilet by /kaz/ or /rus/."""
    url = urlparse(address)
    host = url.hostname or ""
    if host.endswith("egov.kz") and re.match(r"^/cms/[a-z]{2}/", url.path):
        url = url._replace(path=f"/cms/{language}/{url.path[8:]}")
        query = [(k, v) for k, v in parse_qsl(url.query) if k != "lang"]
        return urlunparse(url._replace(query=urlencode(query)))
    if host in ("gov.kz", "www.gov.kz"):
        query = [(k, v) for k, v in parse_qsl(url.query) if k != "lang"] + [("lang", language)]
        return urlunparse(url._replace(query=urlencode(query)))
    if host.endswith("adilet.zan.kz") and re.match(r"^/(rus|kaz|eng)/", url.path):
        prefix = {"kk": "kaz", "ru": "rus"}[language]
        return urlunparse(url._replace(path=f"/{prefix}/{url.path[5:]}"))
    return address


@dataclass(frozen=True)
class GuideStep:
    service: str
    question: dict[Lang, str]


@dataclass(frozen=True)
class LifeSituation:
    """A life situation: its services, and the step-by-step guide where it has one.

    `official`: one of the nine situations of the state register, offered in the menu.
    `opening`: what the bot says first when a citizen brings news of it (congratulations,
    condolences). `services`: services of other groups that belong to it too.
    """

    id: str
    name: dict[Lang, str]
    keywords: dict[Lang, list[str]]
    guide: list[GuideStep]
    official: bool = False
    opening: dict[Lang, str] | None = None
    services: list[str] = field(default_factory=list)

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


class _DatesAsText(yaml.SafeLoader):
    """PyYAML's safe loader, reading 2026-12-03 as the text it is (the schema checks it)."""


def _as_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


_DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", _as_text)


def _read(path: Path, validator: jsonschema.protocols.Validator) -> Any:
    """A register file's data, checked against its schema; errors name file and entry."""
    try:
        with path.open(encoding="utf-8") as file:
            data = yaml.load(file, Loader=_DatesAsText)
    except yaml.YAMLError as error:
        raise RegisterError(f"{path}: not valid YAML: {error}") from error
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(part) for part in first.absolute_path) or "(top level)"
        entry_id = _entry_id(data, list(first.absolute_path))
        raise RegisterError(f"{path}: {entry_id}{where}: {first.message}")
    return data


def _entry_id(data: Any, path: list[Any]) -> str:
    """Name the entry an error is in, so an editor finds it without counting entries."""
    if len(path) >= 2 and path[0] in ("services", "life_situations"):
        entry = data[path[0]][path[1]]
        if isinstance(entry, dict) and "id" in entry:
            kind = "service" if path[0] == "services" else "life situation"
            return f"{kind} '{entry['id']}': "
    return ""


def _date(value: str, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise RegisterError(f"{where}: {error}") from error


def _service(entry: dict[str, Any], path: Path) -> Service:
    """One entry as a Service: every fact must name a source the entry lists."""
    at = f"{path}: service '{entry['id']}'"
    sources = {
        key: Source(key, value["url"], value["title"],
                    _date(value["read_on"], f"{at}: sources/{key}/read_on"))
        for key, value in entry["sources"].items()
    }  # fmt: skip
    facts: dict[str, Fact] = {}
    for name, value in entry["facts"].items():
        source = sources.get(value["source"])
        if source is None:
            raise RegisterError(
                f"{at}: facts/{name}: source '{value['source']}' is not among its sources "
                f"({', '.join(sources) or 'none listed'})"
            )
        if isinstance(value["kk"], list):
            items: dict[Lang, list[str]] = {lang: list(value[lang]) for lang in LANGUAGES}
            facts[name] = Fact({lang: "; ".join(items[lang]) for lang in LANGUAGES}, source, items)
        else:
            facts[name] = Fact({lang: value[lang] for lang in LANGUAGES}, source)
    if entry["verified"] and ("where" not in facts or not entry["channels"]):
        raise RegisterError(
            f"{at}: verified: true needs at least `where` and `channels` from an official "
            "text; set verified: false until someone has read the page"
        )
    fields = {k: v for k, v in entry.items() if k not in ("facts", "sources", "notes")}
    return Service(**fields, facts=facts, sources=sources)


def _load_situations(path: Path, services: Mapping[str, Service]) -> list[LifeSituation]:
    data = _read(path, _validator(SITUATIONS_SCHEMA_PATH))
    situations = []
    for entry in data["life_situations"]:
        guide = [GuideStep(**step) for step in entry.get("guide", [])]
        named = [step.service for step in guide] + list(entry.get("services", []))
        missing = [service for service in named if service not in services]
        if missing:
            raise RegisterError(
                f"{path}: life situation '{entry['id']}': names services not in the "
                f"register: {', '.join(missing)}"
            )
        situations.append(LifeSituation(**{**entry, "guide": guide}))
    return situations


class Register:
    """All services of the register and its life situations, by id, code, name or words."""

    def __init__(
        self,
        services: list[Service],
        situations: list[LifeSituation] | None = None,
        embedder: Embeds | None = None,
    ) -> None:
        """`embedder`: search by meaning as well as by spelling (komekshi.knowledge.search)."""
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
        services = [_service(entry, file) for file in files
                    for entry in _read(file, validator)["services"]]  # fmt: skip
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
        """The services of a life situation: its own group, then those it names."""
        situation = self.situation(situation_id)
        named = (
            [*(step.service for step in situation.guide), *situation.services] if situation else []
        )
        own = [s.id for s in self.services if s.life_situation == situation_id]
        return [self._by_id[i] for i in dict.fromkeys([*own, *named])]

    @cached_property
    def _services_index(self) -> PhraseIndex:
        phrases = [(s.id, p) for s in self.services for p in s.phrases()]
        return PhraseIndex(phrases, self.embedder)

    @cached_property
    def _situations_index(self) -> PhraseIndex:
        phrases = [(s.id, p) for s in self.situations for p in s.phrases()]
        return PhraseIndex(phrases, self.embedder)

    def prepare(self) -> int:
        """Build the search indexes now (how many phrases they hold): each encodes all its
        phrases, up to a second, which a citizen's first question would otherwise wait for."""
        return len(self._services_index.owners) + len(self._situations_index.owners)

    def search(
        self, query: str, limit: int = 3, among: frozenset[str] | None = None
    ) -> list[Match]:
        """The service a code in the query names, else the best matches of its words (only
        services `among`, when given)."""
        coded = [self._by_code[code] for code in _CODE.findall(query) if code in self._by_code]
        if coded:
            return [Match(coded[0], 1.0)]
        return [
            Match(self._by_id[service_id], score)
            for service_id, score in self._services_index.best(query, among)[:limit]
        ]

    def match_situation(self, query: str) -> tuple[LifeSituation, float] | None:
        """The life situation a citizen's words name, with how well (a `search` score)."""
        if not self.situations:
            return None
        best = self._situations_index.best(query)
        situation = self.situation(best[0][0]) if best else None
        return (situation, best[0][1]) if situation else None


def nlu_examples(register: Register) -> dict[str, list[str]]:
    """Training examples of every service's class (`ask_service/<id>`): its names.

    Citizens often just name the service ("ЖК ашу", "свидетельство о рождении"); its names
    and synonyms are some of the examples the model learns it from, so a service an editor
    adds is understood after the next `make train` even before questions are written for it.
    """
    return {
        f"ask_service/{service.id}": list(dict.fromkeys(service.phrases()))
        for service in register.services
    }


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
