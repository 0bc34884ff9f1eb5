"""The rules of the layout (ARCHITECTURE.md), checked on the source so that they hold as it grows.

The runtime (komekshi/) never imports the tools or the benchmarks; no module imports another
that imports it back, however far round; no project import hides inside a function; nothing
runs at import; no module over 500 lines, no folder of more than 12; Redis keys and the
fallback intent are spelt in one place each.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

RUNTIME = "komekshi"
PACKAGES = (RUNTIME, "tools", "bench")
MAX_LINES = 500
MAX_MODULES = 12


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module

    @property
    def package(self) -> str:
        return self.name if self.path.name == "__init__.py" else self.name.rpartition(".")[0]


def _modules() -> list[Module]:
    found = []
    for top in PACKAGES:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found.append(Module(name, path, ast.parse(path.read_text(encoding="utf-8"))))
    return found


MODULES = _modules()
NAMES = {module.name for module in MODULES}


def _imported(module: Module, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The project's modules an import statement names."""
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.package.split(".")
            base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
        targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
    for target in targets:
        while target and target not in NAMES:
            target = target.rpartition(".")[0]
        if target and target != module.name:
            yield target


def _top_level_imports(module: Module) -> set[str]:
    nodes = [n for n in module.tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    return {target for node in nodes for target in _imported(module, node)}


def _in_functions(module: Module) -> Iterator[tuple[int, str]]:
    for function in ast.walk(module.tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    for target in _imported(module, node):
                        yield node.lineno, target


def _where(module: Module, line: int = 0) -> str:
    return f"{module.path.relative_to(ROOT)}:{line}"


def test_the_runtime_never_imports_the_tools() -> None:
    wrong = [
        f"{_where(module)} imports {target}"
        for module in MODULES
        if module.name.split(".")[0] == RUNTIME
        for target in _top_level_imports(module) | {t for _, t in _in_functions(module)}
        if target.split(".")[0] != RUNTIME
    ]
    assert wrong == []


def test_no_import_circles() -> None:
    graph = {module.name: _top_level_imports(module) for module in MODULES}
    # Importing `a.b` runs `a/__init__.py` first: a package's own imports count for its modules.
    circles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        for target in sorted(graph.get(name, ())):
            if target in path:
                circles.append([*path[path.index(target) :], target])
            elif target not in done:
                visit(target, [*path, target])
        done.add(name)

    done: set[str] = set()
    for name in sorted(graph):
        if name not in done:
            visit(name, [name])
    assert circles == []


def test_no_project_import_hides_inside_a_function() -> None:
    hidden = {
        f"{_where(module, line)} imports {target}"
        for module in MODULES
        for line, target in _in_functions(module)
    }
    assert sorted(hidden) == []


def _acts(module: Module, node: ast.stmt) -> bool:
    """A statement that does something beyond defining: a call, other than one configuring a
    class the module itself defines (a YAML loader of its own)."""
    if not isinstance(node, ast.Expr) or isinstance(node.value, ast.Constant):
        return False
    own = {n.name for n in module.tree.body if isinstance(n, ast.ClassDef)}
    call = node.value
    receiver = (
        call.func.value
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
        else None
    )
    return not (isinstance(receiver, ast.Name) and receiver.id in own)


def test_nothing_runs_at_import() -> None:
    """A module's body defines things; only `main()` (or a start-up function it calls) acts."""
    acting = [
        _where(module, node.lineno)
        for module in MODULES
        for node in module.tree.body[1:]
        if _acts(module, node)
    ]
    assert acting == []


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_small_modules(module: Module) -> None:
    lines = len(module.path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{_where(module)} has {lines} lines"


def test_small_folders() -> None:
    folders: dict[Path, int] = {}
    for module in MODULES:
        if module.path.name != "__init__.py":
            folders[module.path.parent] = folders.get(module.path.parent, 0) + 1
    crowded = {str(f.relative_to(ROOT)): n for f, n in folders.items() if n > MAX_MODULES}
    assert crowded == {}


def _strings(module: Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield node.lineno, first.value


@pytest.mark.parametrize(
    ("spelling", "home"),
    [("komekshi:", "komekshi.core.keys"), ("nlu_fallback", "komekshi.core.vocabulary")],
)
def test_one_place_for_each_shared_name(spelling: str, home: str) -> None:
    elsewhere = [
        _where(module, line)
        for module in MODULES
        if module.name != home
        for line, text in _strings(module)
        if text.startswith(spelling) and module.tree.body and text != ast.get_docstring(module.tree)
    ]
    assert elsewhere == []


def test_product_code_never_reads_the_tests_data() -> None:
    readers = [
        _where(module, line)
        for module in MODULES
        for line, text in _strings(module)
        if text.startswith("tests/") or text == "tests"
    ]
    assert readers == []


def test_every_entry_point_has_its_main() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    missing = []
    for script, target in scripts.items():
        name, _, function = target.partition(":")
        module = next((m for m in MODULES if m.name == name), None)
        defined = module and any(
            isinstance(node, ast.FunctionDef) and node.name == function for node in module.tree.body
        )
        if not defined:
            missing.append(f"{script} = {target}")
    assert missing == []
