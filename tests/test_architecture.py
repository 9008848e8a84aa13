"""The direction of imports that ARCHITECTURE.md draws, checked on every module (lazy imports too):
the simulator imports nothing of the product; the product imports the simulator only in compose;
the engine imports no face; rules import nothing that does I/O."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FACES = ("functions", "function_app", "driftguard.cli", "driftguard.demo")
CORE = (
    "model",
    "events",
    "policy",
    "ids",
    "nesting",
    "decide",
    "pipeline",
    "review",
    "respond",
    "creep",
    "snapshot",
    "inventory",
    "assets",
    "canary",
    "probing",
)
IO_MODULES = ("driftguard.azure", "driftguard.store", "driftguard.cases", "remediations", "requests", "azure.", "sqlite3", "socket")


def imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def offending(path: Path, prefixes: tuple[str, ...]) -> list[str]:
    return sorted({m for m in imports(path) if m == prefixes or m.startswith(prefixes) or m.split(".")[0] in prefixes})


@pytest.mark.parametrize("path", modules("simulator"), ids=lambda p: p.name)
def test_the_simulator_imports_nothing_of_the_product(path: Path) -> None:
    assert offending(path, ("driftguard", "remediations", "functions", "function_app")) == []


@pytest.mark.parametrize(
    "path", [*modules("driftguard"), *modules("remediations"), *modules("functions")], ids=lambda p: str(p.relative_to(ROOT))
)
def test_the_product_imports_the_simulator_only_in_compose(path: Path) -> None:
    if path == ROOT / "driftguard" / "compose.py":
        return
    assert offending(path, ("simulator",)) == []


@pytest.mark.parametrize("name", CORE)
def test_the_engine_imports_no_face(name: str) -> None:
    assert offending(ROOT / "driftguard" / f"{name}.py", FACES) == []


@pytest.mark.parametrize("path", modules("driftguard/rules"), ids=lambda p: p.name)
def test_rules_do_no_io(path: Path) -> None:
    assert offending(path, IO_MODULES) == []
