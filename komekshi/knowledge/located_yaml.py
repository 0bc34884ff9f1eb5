"""YAML files whose every value knows where it was written, so a problem names file and line.

Editors fix what a check reports only if they can find it: every string and mapping read by
`read_yaml` carries its `file:line` (`where`), and a file that is not valid YAML, like any
content that cannot be built, is a `ContentError` listing each problem with its place.
Generated files written with `dump` carry those values on as the plain strings and maps
they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import yaml

from komekshi.core.settings import ROOT


class ContentError(ValueError):
    """Content that cannot be built; each problem names its file and line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Located(str):
    """A string from a content file that remembers where it was written."""

    where: str


class _Mapping(dict[str, Any]):
    where: str


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, with every string (and mapping) knowing its file and line."""

    name: str


def _located_str(loader: _Loader, node: yaml.ScalarNode) -> Located:
    text = Located(loader.construct_scalar(node))
    text.where = f"{loader.name}:{node.start_mark.line + 1}"
    return text


def _located_map(loader: _Loader, node: yaml.MappingNode) -> Iterator[_Mapping]:
    mapping = _Mapping()
    mapping.where = f"{loader.name}:{node.start_mark.line + 1}"
    yield mapping
    # Keys stay `Located`, so an unknown key is reported at its own line.
    mapping.update(cast(dict[str, Any], loader.construct_mapping(node)))


_Loader.add_constructor("tag:yaml.org,2002:str", _located_str)
_Loader.add_constructor("tag:yaml.org,2002:map", _located_map)


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, writing loaded values as the plain strings and maps they are."""


_Dumper.add_representer(Located, lambda dumper, text: dumper.represent_str(str(text)))
_Dumper.add_representer(_Mapping, lambda dumper, data: dumper.represent_dict(data))


def where(value: object, default: str) -> str:
    """`file:line` of a loaded value, or `default` for values that do not know it."""
    return getattr(value, "where", default)


def read_yaml(path: Path, root: Path = ROOT) -> Any:
    """A content file, strings and mappings located (relative to `root`)."""
    try:
        shown = str(path.relative_to(root))
    except ValueError:
        shown = str(path)
    loader = _Loader(path.read_text(encoding="utf-8"))
    loader.name = shown
    try:
        return loader.get_single_data()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ContentError([f"{shown}{line}: not valid YAML: {error}"]) from error
    finally:
        loader.dispose()


def dump(data: Any) -> str:
    """`data` as YAML (as `yaml.safe_dump` writes it), loaded values among it included."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
