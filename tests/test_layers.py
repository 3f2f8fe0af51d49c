"""The layering is a contract: every import in `reader/` is read (statically, with `ast`, including
imports inside functions) and checked against the layers the README's "How it works" describes.

    cli, __main__                       the `reader` command
    tui | daemon                        front ends (independent of each other)
    core                                the application layer: every use case
    update | topic                      the update pipeline; relevance and stories
    store, fetch, parse, normalize,     the stages (a stage imports no other, but sources
      sources, schedule                   write through the store, parse normalizes)
    models, exceptions, config,         the bottom: data types, errors, settings, the
      textsafe, query, reader (package)   search query parser

A module imports only from its own component, from layers below, or (rarely) a sibling listed in
SIBLING_IMPORTS. Front ends call only the application layer and read the bottom layer. Only
`reader.tui` imports Textual. Only a `*_compat.py` module imports another library's private names.
The same reading checks that pyproject.toml declares exactly the libraries `reader/` imports.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "reader"

LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"reader", "models", "exceptions", "config", "textsafe", "query"}),
    frozenset({"store", "fetch", "parse", "normalize", "sources", "schedule"}),
    frozenset({"update", "topic"}),
    frozenset({"core"}),
    frozenset({"tui", "daemon"}),
    frozenset({"cli", "__main__"}),
)
"""Components (the first name under `reader.`), bottom layer first."""

SIBLING_IMPORTS = frozenset(
    {
        ("config", "exceptions"),  # a bad settings file is a ConfigError
        ("query", "exceptions"),  # a query that cannot run is an InvalidSearchQueryError
        ("models", "query"),  # a listing's filter and a rule carry a parsed query
        ("config", "query"),  # a rule's query is checked when the settings are loaded
        ("config", "models"),  # settings hold rules as `Rule`s, parsed once
        ("sources", "store"),  # seeds and OPML lists are written through the store API
        ("parse", "normalize"),  # parser workers also normalize, sparing the caller's CPU
        ("__main__", "cli"),  # `python -m reader` runs the command
    }
)
"""(importer, imported) pairs allowed within one layer; every other pair is independent."""

FRONT_ENDS = frozenset({"cli", "tui", "daemon"})
FRONT_ENDS_MAY_IMPORT = frozenset({"core", *LAYERS[0]}) | FRONT_ENDS
"""What the front ends may import: the application layer and the bottom layer (and each other,
as the layers above allow: `cli` starts the reader and the daemon)."""


@dataclass(frozen=True)
class Import:
    module: str
    """The importing module (``reader.cli.fetch``)."""
    line: int
    imported: str
    """The imported module (``reader.core``, ``textual.app``)."""

    @property
    def where(self) -> str:
        return f"{self.module} (line {self.line}) imports {self.imported}"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def component(module: str) -> str:
    """``reader.cli.fetch`` -> ``cli``; the package itself is ``reader``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "reader"


def imports_of(path: Path) -> Iterator[Import]:
    """Every import in a file of the package, at any depth."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    return imports_in(path.read_text(encoding="utf-8"), module, package)


def imports_in(source: str, module: str, package: str) -> Iterator[Import]:
    """Every import in `source` (the text of `module`, in `package`), inside functions too;
    relative imports resolved against the package."""
    for node in ast.walk(ast.parse(source, module)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield Import(module, node.lineno, base)


def all_imports() -> list[Import]:
    return [found for path in sorted(PACKAGE.rglob("*.py")) for found in imports_of(path)]


def layer_of(name: str) -> int:
    for rank, members in enumerate(LAYERS):
        if name in members:
            return rank
    raise AssertionError(f"component reader.{name} is in no layer: add it to LAYERS")


def internal(found: Import) -> bool:
    return found.imported == "reader" or found.imported.startswith("reader.")


def test_every_component_has_a_layer() -> None:
    components = {component(module_name(path)) for path in PACKAGE.rglob("*.py")}
    for name in sorted(components):
        layer_of(name)


def test_nothing_imports_upward_or_across_a_layer() -> None:
    wrong = []
    for found in filter(internal, all_imports()):
        importer, imported = component(found.module), component(found.imported)
        if importer == imported:
            continue
        above = layer_of(imported) > layer_of(importer)
        across = layer_of(imported) == layer_of(importer)
        if above or (across and (importer, imported) not in SIBLING_IMPORTS):
            wrong.append(found.where)
    assert wrong == []


def test_front_ends_call_only_the_application_layer() -> None:
    wrong = [
        found.where
        for found in filter(internal, all_imports())
        if component(found.module) in FRONT_ENDS
        and component(found.imported) not in FRONT_ENDS_MAY_IMPORT
    ]
    assert wrong == []


def test_only_the_terminal_reader_imports_textual() -> None:
    wrong = [
        found.where
        for found in all_imports()
        if found.imported.split(".")[0] == "textual" and component(found.module) != "tui"
    ]
    assert wrong == []


def test_only_the_compatibility_modules_import_private_names_of_other_libraries() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name.endswith("_compat.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                private = [a.name for a in node.names if a.name.startswith("_")]
                if private and node.module.split(".")[0] != "reader":
                    wrong.append(
                        f"{module_name(path)} (line {node.lineno}): {node.module} {private}"
                    )
    assert wrong == []


def test_the_contract_sees_imports_inside_functions_and_relative_ones() -> None:
    source = "def late():\n    from reader.update import update_feeds\nfrom ..store import base\n"
    found = imports_in(source, "reader.cli.sample", "reader.cli")
    assert [(i.line, i.imported) for i in found] == [(3, "reader.store"), (2, "reader.update")]


@pytest.mark.parametrize(
    "modules",
    [
        "reader.core, reader.update, reader.store, reader.models, reader.sources.seeds",
        "reader.daemon, reader.daemon.jobs, reader.topic, reader.cli.main",
    ],
)
def test_importing_the_core_and_the_daemon_loads_no_textual(modules: str) -> None:
    code = f"import sys, {modules}; print('textual' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "False"


def distribution_name(requirement: str) -> str:
    """``httpx[http2]>=0.27`` -> ``httpx``; ``psycopg_pool`` -> ``psycopg-pool``."""
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_declared_dependencies_are_what_the_package_imports() -> None:
    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {distribution_name(r) for r in project["project"]["dependencies"]}
    providers = importlib.metadata.packages_distributions()
    imported: dict[str, str] = {}
    for found in all_imports():
        top = found.imported.split(".")[0]
        if top and top != "reader" and top not in sys.stdlib_module_names:
            for name in providers.get(top, [top]):
                imported.setdefault(distribution_name(name), found.where)
    undeclared = sorted(where for name, where in imported.items() if name not in declared)
    assert undeclared == []
    assert sorted(declared - set(imported)) == []  # nothing declared that no module imports
