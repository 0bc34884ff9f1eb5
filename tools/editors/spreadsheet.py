"""The editors' content as a spreadsheet and back (`make export`, `make import`).

Some editors work in Excel or LibreOffice rather than in YAML files. `export` writes every
topic and message to one sheet (XLSX or CSV), a row per text with Kazakh and Russian side by
side; `import` writes the sheet back into the content files, keeping each file's header
comment. A sheet with a mistake changes nothing: the error names the row.

Columns: file (content/topics/…, content/topics/services/…, content/topics/situations/… or
content/messages/…), name (the topic's intent or the message's name), part (label, question,
answer, button), kk, ru, payload (buttons only). The services an FAQ topic covers are kept
as its file lists them.
Questions of one topic are paired row by row; a language with fewer questions leaves its
cell empty.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path

import yaml

from komekshi.core.language import LANGUAGES, Lang
from komekshi.core.settings import ROOT
from komekshi.knowledge.content import (
    CONTENT,
    Content,
    Reply,
    Topic,
    dump_messages,
    dump_topic,
    header_of,
)
from komekshi.knowledge.located_yaml import ContentError

COLUMNS = ("file", "name", "part", "kk", "ru", "payload")
PARTS = ("label", "question", "answer", "button")


class SheetError(ValueError):
    """A row of the sheet that cannot become content; the message names the row."""


@dataclass
class _Entry:
    """A topic or a message as its rows describe it."""

    name: str
    label: dict[Lang, str] | None = None
    questions: dict[Lang, list[str]] = field(default_factory=lambda: {"kk": [], "ru": []})
    answer: dict[Lang, str] | None = None
    buttons: list[tuple[dict[Lang, str], str]] = field(default_factory=list)

    def reply(self, name: str) -> Reply | None:
        return Reply(name, self.answer, self.buttons) if self.answer else None


def _reply_rows(file: str, name: str, reply: Reply) -> Iterable[list[str]]:
    yield [file, name, "answer", reply.text["kk"], reply.text["ru"], ""]
    for title, payload in reply.buttons:
        yield [file, name, "button", title["kk"], title["ru"], payload]


def rows(content: Content) -> list[list[str]]:
    """Every text of the content, as sheet rows (with the header row first)."""
    table = [list(COLUMNS)]
    for topic in content.topics:
        file, name = topic.file, topic.intent
        if topic.label:
            table.append([file, name, "label", topic.label["kk"], topic.label["ru"], ""])
        for kk, ru in zip_longest(topic.questions["kk"], topic.questions["ru"], fillvalue=""):
            table.append([file, name, "question", str(kk), str(ru), ""])
        if topic.answer:
            table += _reply_rows(file, name, topic.answer)
    for name, reply in content.messages.items():
        table += _reply_rows(content.message_files[name], name, reply)
    return table


def _entries(table: list[list[str]]) -> dict[str, list[_Entry]]:
    """The sheet's rows as entries, by file; SheetError names the first bad row."""
    header = [cell.strip().lower() for cell in table[0]] if table else []
    if header[: len(COLUMNS)] != list(COLUMNS):
        raise SheetError(f"row 1: expected the columns {', '.join(COLUMNS)}")
    files: dict[str, dict[str, _Entry]] = {}
    for number, raw in enumerate(table[1:], start=2):
        cells = [(cell or "").strip() for cell in raw] + [""] * len(COLUMNS)
        file, name, part, kk, ru, payload = cells[: len(COLUMNS)]
        if not any(cells):
            continue
        if not (file.startswith("content/topics/") or file.startswith("content/messages/")):
            raise SheetError(f"row {number}: file must be content/topics/… or content/messages/…")
        depth = file.split("/", 2)[2].count("/")
        if not file.endswith(".yml") or depth > (1 if file.startswith("content/topics/") else 0):
            raise SheetError(
                f"row {number}: file must be a .yml file in content/messages/, content/topics/ "
                "or a folder of it (services/, situations/)"
            )
        if part not in PARTS:
            raise SheetError(f"row {number}: part must be one of {', '.join(PARTS)}")
        if not name:
            raise SheetError(f"row {number}: the name (intent or message) is empty")
        if file.startswith("content/messages/") and part in ("label", "question"):
            raise SheetError(f"row {number}: a message has no {part}s; only topics do")
        entry = files.setdefault(file, {}).setdefault(name, _Entry(name))
        texts: dict[Lang, str] = {"kk": kk, "ru": ru}
        if part == "question":
            for language in LANGUAGES:
                if texts[language]:
                    entry.questions[language].append(texts[language])
            continue
        missing = [language for language in LANGUAGES if not texts[language]]
        if missing:
            raise SheetError(
                f"row {number}: the {part} needs both kk and ru (missing {missing[0]})"
            )
        if part == "label":
            entry.label = texts
        elif part == "answer":
            entry.answer = texts
        elif not payload:
            raise SheetError(f"row {number}: a button needs a payload (e.g. /request_human)")
        else:
            entry.buttons.append((texts, payload))
    return {file: list(entries.values()) for file, entries in files.items()}


def write(table: list[list[str]], root: Path = CONTENT) -> list[Path]:
    """Write the sheet into the content files under `root`; nothing changes on an error."""
    files = _entries(table)
    base = root.parent
    with tempfile.TemporaryDirectory() as work:
        staged = Path(work) / root.name
        shutil.copytree(root, staged)
        for file, entries in files.items():
            target = staged / Path(file).relative_to("content")
            header = header_of(base / file)
            if file.startswith("content/topics/"):
                if len(entries) != 1:
                    raise SheetError(f"{file}: a topic file holds one topic, the sheet has several")
                entry = entries[0]
                answer = entry.reply(f"utter_{entry.name}")
                # The services a topic covers are not in the sheet: they stay as the file has them.
                covered = _covered(base / file)
                topic = Topic(entry.name, file, entry.questions, entry.label, answer, covered)
                target.write_text(dump_topic(topic, header), encoding="utf-8")
            else:
                replies = []
                for entry in entries:
                    reply = entry.reply(entry.name)
                    if reply is None:
                        raise SheetError(f"{file}: message {entry.name} has no answer row")
                    replies.append(reply)
                target.write_text(dump_messages(replies, header), encoding="utf-8")
        Content.load(staged)  # ContentError names the staged file and line
        written = []
        for file in files:
            relative = Path(file).relative_to("content")
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(staged / relative, root / relative)
            written.append(root / relative)
    return written


def _covered(path: Path) -> tuple[str, ...]:
    """The `services:` a topic file lists (none for a new file)."""
    if not path.exists():
        return ()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return tuple(str(service) for service in data.get("services") or ())


def save(table: list[list[str]], path: Path) -> None:
    """A sheet as .xlsx (with a frozen, bold header and wide text columns) or .csv."""
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as file:
            csv.writer(file).writerows(table)
        return
    # openpyxl is imported here: a CSV sheet does not need it, and it takes a while to load.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "content"
    for row in table:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEF", (34, 26, 10, 60, 60, 22), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2, min_col=4, max_col=5):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    book.save(path)


def load(path: Path) -> list[list[str]]:
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as file:
            return [list(row) for row in csv.reader(file)]
    # openpyxl is imported here, as in `save`: only an .xlsx sheet needs it.
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True).worksheets[0]
    return [
        ["" if cell is None else str(cell) for cell in row]
        for row in sheet.iter_rows(values_only=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description="Content to a spreadsheet and back.")
    parser.add_argument("command", choices=["export", "import"])
    parser.add_argument("file", type=Path, help="a .xlsx or .csv file")
    args = parser.parse_args()
    if args.command == "export":
        save(rows(Content.load()), args.file)
        print(f"Wrote {args.file}. Edit it, then: make import FILE={args.file}")
        return
    try:
        written = write(load(args.file))
    except (SheetError, ContentError) as error:
        raise SystemExit(f"{args.file}: nothing was changed:\n{error}") from error
    for path in written:
        print(f"updated {path.relative_to(ROOT)}")
    print("Check with `make validate`, then `make train`.")


if __name__ == "__main__":
    main()
