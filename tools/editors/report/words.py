"""The report's words, in Kazakh and Russian, read from content/report.yml.

Editors change the page's headings, labels and explanations there without touching Python.
Each text is a pair, `kk:` and `ru:`, under a key the code names (`rates.heading`); it may hold
placeholders (`{count}`) that the report fills with numbers and dates, the same in both
languages. A mistake in the file names its line, as every content error does.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from komekshi.core.language import LANGUAGES
from komekshi.core.settings import ROOT
from komekshi.knowledge.content import CONTENT
from komekshi.knowledge.located_yaml import ContentError, read_yaml, where

WORDS = CONTENT / "report.yml"

# A text in Kazakh, then in Russian.
Pair = tuple[str, str]


def _placeholders(text: str) -> set[str]:
    """The `{name}`s of a text; ValueError for a brace that opens nothing or is not closed."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _is_pair(node: object) -> bool:
    return isinstance(node, Mapping) and any(language in node for language in LANGUAGES)


def _problems(node: object, key: str, file: str) -> Iterator[str]:
    """What is wrong with the file's texts under `key`, each at its line."""
    at = where(node, file)
    if _is_pair(node):
        assert isinstance(node, Mapping)
        texts = [node.get(language) for language in LANGUAGES]
        if set(node) != set(LANGUAGES) or not all(isinstance(t, str) and t for t in texts):
            yield f"{at}: {key}: needs a kk: and a ru: text, and nothing else"
            return
        try:
            kk, ru = (_placeholders(str(text)) for text in texts)
        except ValueError:
            yield f"{at}: {key}: a {{ or }} without its pair; keep only the {{placeholders}}"
            return
        if kk != ru:
            shown = ", ".join(f"{{{name}}}" for name in sorted(kk ^ ru))
            yield f"{at}: {key}: only one of kk and ru has {shown}; both need the same ones"
    elif isinstance(node, Mapping):
        for name, value in node.items():
            yield from _problems(value, f"{key}.{name}" if key else str(name), file)
    elif isinstance(node, list):
        for item in node:
            if not (isinstance(item, Mapping) and set(item) == {"term", "means"}):
                yield f"{where(item, at)}: {key}: each explanation has a term: and a means:"
                continue
            yield from _problems(item["term"], f"{key}.term", file)
            yield from _problems(item["means"], f"{key}.means", file)
    else:
        yield f"{at}: {key}: expected kk: and ru: texts"


class Words:
    """The texts of content/report.yml (or of part of it), looked up by their keys."""

    def __init__(self, data: Mapping[str, Any], file: str, prefix: str = "") -> None:
        self._data = data
        self._file = file
        self._prefix = prefix

    @classmethod
    def load(cls, path: Path = WORDS, root: Path = ROOT) -> Words:
        """The file, checked: ContentError names the line of each mistake (the file shown
        relative to `root`)."""
        try:
            shown = str(path.relative_to(root))
        except ValueError:
            shown = str(path)
        if not path.exists():
            raise ContentError([f"{shown}: missing: the report's words are kept in this file"])
        data = read_yaml(path, root)
        if not isinstance(data, Mapping):
            raise ContentError([f"{shown}:1: expected the report's texts, key by key"])
        problems = list(_problems(data, "", shown))
        if problems:
            raise ContentError(problems)
        return cls(data, shown)

    def _node(self, key: str, kind: str = "group") -> Any:
        """The texts under `key`: a group of them, a `pair` or a `list` of explanations."""
        node: Any = self._data
        for name in key.split("."):
            if not isinstance(node, Mapping) or name not in node:
                raise ContentError(
                    [f"{self._file}: {self._prefix}{key}: missing; put it back, in kk and ru"]
                )
            node = node[name]
        found = "pair" if _is_pair(node) else "list" if isinstance(node, list) else "group"
        if found != kind:
            expected = {"pair": "a kk: and a ru: text", "list": "a list of explanations"}
            raise ContentError(
                [
                    f"{where(node, self._file)}: {self._prefix}{key}: expected "
                    f"{expected.get(kind, 'the texts of a part of the page')}, as it was shipped"
                ]
            )
        return node

    def part(self, key: str) -> Words:
        """The texts under `key` (a section of the page)."""
        return Words(self._node(key), self._file, f"{self._prefix}{key}.")

    def has(self, key: str) -> bool:
        """Whether the file has a text for `key` (the reasons name only the ones it knows)."""
        try:
            return bool(self._node(key, "pair"))
        except ContentError:
            return False

    def pair(self, key: str, /, **values: object) -> Pair:
        """The text of `key` in each language, its placeholders filled with `values`; a
        (kk, ru) tuple fills each language with its own."""
        return self._filled(self._node(key, "pair"), key, values)

    def joined(self, key: str, between: str = " / ") -> str:
        """Both languages on one line (or two, `between="\\n"`), as the charts show them."""
        return between.join(self.pair(key))

    def explained(self, key: str = "explain", /, **values: object) -> list[tuple[Pair, Pair]]:
        """What each number means: (its name, one line about it)."""
        items: list[Mapping[str, Any]] = self._node(key, "list")
        return [
            (self._filled(item["term"], key, values), self._filled(item["means"], key, values))
            for item in items
        ]

    def _filled(self, node: Mapping[str, Any], key: str, values: Mapping[str, object]) -> Pair:
        texts = []
        for index, language in enumerate(LANGUAGES):
            own = {
                name: value[index] if isinstance(value, tuple) else value
                for name, value in values.items()
            }
            text = str(node[language])
            try:
                texts.append(text.format_map(own))
            except (KeyError, IndexError, ValueError) as error:
                unknown = f"{{{error.args[0]}}}" if isinstance(error, KeyError) else "a {…}"
                usable = ", ".join(f"{{{name}}}" for name in values) or "none"
                raise ContentError(
                    [
                        f"{where(node, self._file)}: {self._prefix}{key}: {unknown} is not "
                        f"known here; the placeholders this text can use: {usable}"
                    ]
                ) from error
        return texts[0], texts[1]
