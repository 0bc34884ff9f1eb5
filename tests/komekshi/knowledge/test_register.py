"""The service register: schema validation on load, and search in both languages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import yaml
from numpy.typing import NDArray

from komekshi.actions.services import NAMES_A_SERVICE
from komekshi.core.embedding import Embedder
from komekshi.core.settings import quality
from komekshi.knowledge.register import Register, RegisterError, in_language, nlu_examples
from tests.conftest import ROOT

REGISTER = Register.load(ROOT / "register")

PHRASINGS = {
    "birth_registration": [
        "как зарегистрировать рождение ребенка",
        "svidetelstvo o rozhdenii",
        "бала туды, қалай тіркеймін",
        "tuu turaly kualik alu",
    ],
    "id_card_replacement": [
        "как заменить удостоверение личности",
        "udostoverenie lichnosti poteryal",
        "жеке куәлікті қалай ауыстырамын",
        "jeke kualikti auystyru",
    ],
    "sole_proprietor_registration": [
        "хочу открыть ИП",
        "kak otkryt IP",
        "ИП ашу үшін не керек",
        "JK ashu",
    ],
}


def test_shipped_register_is_valid_and_every_stated_fact_has_its_source() -> None:
    assert len(REGISTER.services) >= 150
    for service in REGISTER.services:
        assert service.page.startswith("https://")
        assert service.name["kk"] and service.name["ru"]
        assert service.synonyms["kk"] and service.synonyms["ru"]
        for name, fact in service.facts.items():
            assert fact.source.url.startswith("https://"), (service.id, name)
            assert fact.source.read_on <= dt.date.today(), (service.id, name)
            assert fact.text["kk"].strip() and fact.text["ru"].strip(), (service.id, name)
        if service.verified:
            assert "where" in service.facts and service.channels, service.id
    assert {s.id for s in REGISTER.services} >= set(PHRASINGS)


def test_no_batch_stamp_every_source_says_when_it_was_read() -> None:
    """A date means someone read that page then: no entry carries a date without a page."""
    for service in REGISTER.services:
        used = {fact.source.key for fact in service.facts.values()}
        assert used <= set(service.sources), service.id


def test_the_most_asked_services_are_listed_and_exist() -> None:
    most_asked = quality()["register"]["most_asked"]
    assert len(most_asked) == 50
    assert set(most_asked) <= {s.id for s in REGISTER.services}


@pytest.mark.parametrize(
    ("service_id", "query"),
    [(service_id, query) for service_id, queries in PHRASINGS.items() for query in queries],
)
def test_search_by_spelling_finds_the_service_among_the_first(service_id: str, query: str) -> None:
    """The register search is the second opinion beside the model: by spelling alone, the
    service a question names is among the first three it finds."""
    matches = REGISTER.search(query)
    assert service_id in [m.service.id for m in matches]


@pytest.mark.parametrize("query", ["погода в алматы", "рецепт плова", "ертең ауа райы қандай"])
def test_search_names_no_service_for_unrelated_text(query: str) -> None:
    assert all(match.score < NAMES_A_SERVICE for match in REGISTER.search(query))


def _write(folder: Path, entry: dict[str, object]) -> Path:
    path = folder / "broken.yml"
    path.write_text(yaml.safe_dump({"services": [entry]}, allow_unicode=True), "utf-8")
    return path


def _valid_entry() -> dict[str, object]:
    source = yaml.safe_load((ROOT / "register" / "birth.yml").read_text("utf-8"))
    entry: dict[str, object] = source["services"][0]
    return entry


def test_valid_entry_loads(tmp_path: Path) -> None:
    _write(tmp_path, _valid_entry())
    assert [s.id for s in Register.load(tmp_path).services] == ["birth_registration"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"page": None}, "page"),
        ({"page": "http://insecure.example"}, "page"),
        ({"verified": "yes"}, "verified"),
        (
            {"sources": {"x": {"url": "https://egov.kz", "title": "t", "read_on": "3.12.2026"}}},
            "read_on",
        ),
        ({"facts": {"fee": {"kk": "тегін", "ru": "бесплатно"}}}, "source"),
        ({"facts": {"fee": {"kk": "тегін", "ru": "бесплатно", "source": "nowhere"}}}, "nowhere"),
        ({"name": {"ru": "Только по-русски"}}, "name"),
        ({"code": "123"}, "code"),
        ({"life_situation": "space_travel"}, "life_situation"),
    ],
)
def test_invalid_entry_is_rejected_naming_file_service_and_field(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    path = _write(tmp_path, {**_valid_entry(), **change})
    with pytest.raises(RegisterError) as error:
        Register.load(tmp_path)
    assert str(path) in str(error.value)
    assert "birth_registration" in str(error.value)
    assert message in str(error.value)


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    entry = _valid_entry()
    (tmp_path / "broken.yml").write_text(
        yaml.safe_dump({"services": [entry, entry]}, allow_unicode=True), "utf-8"
    )
    with pytest.raises(RegisterError, match="birth_registration"):
        Register.load(tmp_path)


@pytest.mark.parametrize(
    ("query", "situation"),
    [
        ("бала туды енді не істеу керек", "birth"),
        ("у нас родился ребенок", "birth"),
        ("balabaqsha kezegi", "kindergarten"),
        ("скоро на пенсию", "retirement"),
    ],
)
def test_life_situations_are_found_by_their_names(query: str, situation: str) -> None:
    found = REGISTER.match_situation(query)
    assert found is not None and found[0].id == situation


def test_every_guide_step_is_a_service_of_the_register() -> None:
    for situation in REGISTER.situations:
        for step in situation.guide:
            assert REGISTER.get(step.service) is not None
            assert step.question["kk"].endswith("?") and step.question["ru"].endswith("?")


def test_a_guide_naming_an_unknown_service_is_rejected(tmp_path: Path) -> None:
    _write(tmp_path, _valid_entry())
    situations = tmp_path / "life_situations.yml"
    situations.write_text(
        yaml.safe_dump(
            {
                "life_situations": [
                    {
                        "id": "birth",
                        "name": {"kk": "Бала тууы", "ru": "Рождение ребёнка"},
                        "keywords": {"kk": ["бала туды"], "ru": ["родился ребенок"]},
                        "guide": [
                            {"service": "no_such_service", "question": {"kk": "?", "ru": "?"}}
                        ],
                    }
                ]
            },
            allow_unicode=True,
        ),
        "utf-8",
    )
    with pytest.raises(RegisterError, match="no_such_service") as error:
        Register.load(tmp_path)
    assert str(situations) in str(error.value)


def test_nlu_examples_name_every_service_as_its_own_class() -> None:
    examples = nlu_examples(REGISTER)
    for service in REGISTER.services:
        names = examples[f"ask_service/{service.id}"]
        assert service.name["kk"] in names and service.name["ru"] in names


def test_a_verified_entry_needs_where_and_channels(tmp_path: Path) -> None:
    entry = {**_valid_entry(), "verified": True, "channels": []}
    _write(tmp_path, entry)
    with pytest.raises(RegisterError, match="verified"):
        Register.load(tmp_path)


def test_a_code_in_the_question_finds_its_service(tmp_path: Path) -> None:
    _write(tmp_path, {**_valid_entry(), "code": "00103001"})
    register = Register.load(tmp_path)
    [match] = register.search("00103001 қызметі туралы айтыңызшы")
    assert (match.service.id, match.score) == ("birth_registration", 1.0)
    assert register.search("услуга 99999999") == []


def test_the_official_page_is_given_in_the_citizens_language() -> None:
    service = REGISTER.get("id_card_replacement")
    assert service is not None
    assert in_language("https://www.gov.kz/services/3087?lang=en", "kk") == (
        "https://www.gov.kz/services/3087?lang=kk"
    )
    assert in_language("https://egov.kz/cms/en/services/pass156", "ru") == (
        "https://egov.kz/cms/ru/services/pass156"
    )
    assert in_language("https://adilet.zan.kz/rus/docs/V2000020857", "kk") == (
        "https://adilet.zan.kz/kaz/docs/V2000020857"
    )
    assert service.page_in("kk").startswith("https://")


def test_search_by_meaning_finds_what_spelling_alone_misses() -> None:
    question = "потерял работу, платят ли что-нибудь"
    assert REGISTER.search(question)[0].service.id == "driving_licence_restore"  # "потерял"
    semantic = Register.load(ROOT / "register", embedder=Embedder())
    assert semantic.search(question)[0].service.id == "job_loss_payment"


class _CountingEmbedder:
    """Vectors of a fixed direction, counting how many texts each call encodes."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.calls.append(len(texts))
        return np.ones((len(texts), 4), dtype=np.float32)


def test_prepared_register_encodes_only_the_citizens_question() -> None:
    embedder = _CountingEmbedder()
    register = Register.load(ROOT / "register", embedder=embedder)
    assert register.prepare() > len(register.services)
    embedder.calls.clear()
    register.search("паспорт алу")
    register.match_situation("бала туды")
    assert embedder.calls == [1, 1]
