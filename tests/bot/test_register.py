"""The service register: schema validation on load, and search in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.register import Register, RegisterError
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


def test_shipped_register_is_valid_and_complete() -> None:
    for service in REGISTER.services:
        assert service.source.startswith("https://")
        assert service.name["kk"] and service.name["ru"]
        assert service.synonyms["kk"] and service.synonyms["ru"]
    assert {s.id for s in REGISTER.services} >= set(PHRASINGS)


@pytest.mark.parametrize(
    ("service_id", "query"),
    [(service_id, query) for service_id, queries in PHRASINGS.items() for query in queries],
)
def test_search_finds_the_service_first(service_id: str, query: str) -> None:
    matches = REGISTER.search(query)
    assert matches and matches[0].service.id == service_id


@pytest.mark.parametrize("query", ["погода в алматы", "рецепт плова", "ертең ауа райы қандай"])
def test_search_finds_nothing_for_unrelated_text(query: str) -> None:
    assert REGISTER.search(query) == []


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
        ({"source": None}, "source"),
        ({"source": "http://insecure.example"}, "source"),
        ({"checked_on": "23.11.2026"}, "checked_on"),
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
