"""The content as a spreadsheet and back, for editors who work in Excel or LibreOffice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from komekshi.knowledge.content import Content
from tests.conftest import ROOT
from tools.editors.spreadsheet import SheetError, load, rows, save, write


@pytest.fixture
def content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(ROOT / "content", root)
    return root


def _texts(root: Path) -> tuple[object, object]:
    loaded = Content.load(root)
    topics = {t.intent: (t.questions, t.label, t.answer, t.services) for t in loaded.topics}
    return topics, loaded.messages


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_then_import_changes_nothing(content: Path, tmp_path: Path, suffix: str) -> None:
    before = _texts(content)
    sheet = tmp_path / f"content{suffix}"
    save(rows(Content.load(content)), sheet)
    write(load(sheet), content)
    assert _texts(content) == before


def test_an_edited_answer_and_a_new_topic_come_back_from_the_sheet(
    content: Path, tmp_path: Path
) -> None:
    table = load_saved(rows(Content.load(content)), tmp_path / "content.xlsx")
    for row in table:
        if row[1] == "faq/hkko" and row[2] == "answer":
            row[4] = "ЦОН работает по будням с 9:00 до 18:00."
    new = ["content/topics/faq_new.yml", "faq/new"]
    table.append([*new, "label", "Жаңа", "Новое", ""])
    table.append([*new, "question", "жаңа сұрақ", "новый вопрос", ""])
    table.append([*new, "answer", "Жаңа жауап.", "Новый ответ.", ""])
    write(table, content)
    loaded = Content.load(content)
    hkko = loaded.topic("faq/hkko")
    assert hkko is not None and hkko.answer is not None
    assert hkko.answer.text["ru"] == "ЦОН работает по будням с 9:00 до 18:00."
    new = loaded.topic("faq/new")
    assert new is not None and new.answer is not None
    assert new.questions == {"kk": ["жаңа сұрақ"], "ru": ["новый вопрос"]}
    assert (content / "topics" / "faq_new.yml").exists()


def load_saved(table: list[list[str]], path: Path) -> list[list[str]]:
    save(table, path)
    return load(path)


def test_a_sheet_with_a_mistake_names_the_row_and_changes_nothing(
    content: Path, tmp_path: Path
) -> None:
    before = _texts(content)
    table = load_saved(rows(Content.load(content)), tmp_path / "content.xlsx")
    table.insert(7, ["content/topics/greet.yml", "greet", "answer", "Сәлем!", "", ""])
    with pytest.raises(SheetError, match="row 8: the answer needs both kk and ru"):
        write(table, content)
    assert _texts(content) == before
