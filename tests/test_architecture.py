"""The mirror's boundary: one writer, and every reader on the read side.

:mod:`registry.indexer` writes the mirror; :mod:`registry.mirror` reads it. No module outside
the write side may import it, except the composition roots that start the indexer
(:data:`COMPOSITION_ROOTS`), and the read side may never import it. Every module of
``registry/``, ``api/`` and ``cli/`` is parsed with :mod:`ast` (imports inside functions and
``TYPE_CHECKING`` blocks count too), so a violation fails here before anyone runs it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: The packages whose modules are checked.
PACKAGES = ("registry", "api", "cli")

#: The write side of the mirror.
WRITE_SIDE = "registry.indexer"

#: The read side of the mirror: it never imports the write side, whatever the allowlist says.
READ_SIDE = "registry.mirror"

#: Modules outside the write side that may import it: the one place that builds and starts the
#: indexer (``dareg up`` and ``dareg index`` both start through :func:`cli.stack.start`).
COMPOSITION_ROOTS = frozenset({"cli.stack"})


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def module_name(path: Path) -> str:
    """The dotted name of the module at ``path`` (relative to the repository root)."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(module: str, source: str, *, is_package: bool = False) -> set[str]:
    """Every module ``source`` (the code of ``module``) may import: for ``from a.b import c``
    both ``a.b`` and ``a.b.c`` (``c`` may be a submodule); relative imports resolved."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            found.add(origin)
            found.update(f"{origin}.{alias.name}" for alias in node.names)
    return found


def write_side_imports(module: str, source: str, *, is_package: bool = False) -> list[str]:
    """The write-side modules ``module`` imports (empty for the write side itself)."""
    if _within(module, WRITE_SIDE):
        return []
    return sorted(
        name
        for name in imported_modules(module, source, is_package=is_package)
        if _within(name, WRITE_SIDE)
    )


def violations(module: str, source: str, *, is_package: bool = False) -> list[str]:
    """The write-side imports of ``module`` that the boundary forbids."""
    found = write_side_imports(module, source, is_package=is_package)
    if module in COMPOSITION_ROOTS and not _within(module, READ_SIDE):
        return []
    return found


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_the_boundary_holds_in_every_module() -> None:
    broken = {
        module_name(path): found
        for path in _modules()
        if (
            found := violations(
                module_name(path),
                path.read_text(encoding="utf-8"),
                is_package=path.name == "__init__.py",
            )
        )
    }
    assert broken == {}, f"modules that import the mirror's write side: {broken}"


def test_every_composition_root_still_needs_its_entry() -> None:
    """The allowlist stays exact: an entry whose module no longer imports the write side goes."""
    for module in COMPOSITION_ROOTS:
        path = ROOT / Path(*module.split(".")).with_suffix(".py")
        assert path.exists(), f"{module} is allowed to import the write side but does not exist"
        assert write_side_imports(module, path.read_text(encoding="utf-8")), (
            f"{module} no longer imports {WRITE_SIDE}: remove it from COMPOSITION_ROOTS"
        )


@pytest.mark.parametrize(
    ("module", "source", "is_package"),
    [
        ("api.routes.health", "from registry.indexer.queries import indexer_head\n", False),
        ("api.routes.health", "import registry.indexer.store\n", False),
        ("registry.audit.service", "from registry.indexer import follow\n", False),
        ("registry.reports.cache", "from registry import indexer\n", False),
        ("cli.index", "def run():\n    from registry.indexer.follow import Indexer\n", False),
        ("registry.mirror.rights", "from ..indexer.store import store_batch\n", False),
        ("registry.mirror", "from ..indexer import reorg\n", True),
        ("registry.mirror.history", "def f():\n    from registry.indexer.reorg import x\n", False),
        (
            "registry.verification.service",
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from registry.indexer.follow import Indexer\n",
            False,
        ),
    ],
)
def test_an_import_of_the_write_side_is_a_violation(
    module: str, source: str, is_package: bool
) -> None:
    assert violations(module, source, is_package=is_package)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("api.routes.health", "from registry.mirror import indexer_head\n"),
        ("registry.mirror.history", "from registry.db.rows import decode_row\n"),
        ("registry.indexer.follow", "from registry.indexer.store import store_batch\n"),
        ("registry.indexer.store", "from .reorg import record_batch\n"),
        ("cli.stack", "from registry.indexer.follow import Indexer\n"),
        ("api.routes.health", "from registry.indexers_elsewhere import x\n"),
    ],
)
def test_reads_the_write_side_itself_and_the_composition_roots_pass(
    module: str, source: str
) -> None:
    assert violations(module, source) == []


def test_every_checked_package_has_modules() -> None:
    names = {module_name(p) for p in _modules()}
    assert {"registry.mirror", "registry.indexer.store", "api.main", "cli.main"} <= names
