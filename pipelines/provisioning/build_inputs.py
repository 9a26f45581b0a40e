"""Which Showroom modules shape a model's build: the recipe and everything it imports, transitively.

Recipes import their model classes inside `build()` (so listing models does not import torch), which a
look at the recipe's module-level names misses. Reading the import statements of the source instead finds
those too, and following them finds the architectures, readers and training loops behind them: editing
any of them changes the build key and marks the model outdated.

Everything here reads files and executes none of them: the build key is computed on every model lookup,
and importing an architecture would import torch and transformers on a page's thread (transformers' lazy
imports are not safe to race).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # pipelines/
# The catalog (its pins are hashed on their own), the errors and the fetching code (whose output is checked
# against pinned hashes) shape no model.
NOT_BUILD_INPUTS = frozenset(
    {"pipelines", "pipelines.provisioning.catalog", "pipelines.errors", "pipelines.provisioning.fetch"}
)


def build_sources(recipe: str) -> list[str]:
    """The source of the recipe module first, then of every Showroom module it reaches, sorted by name."""
    found: set[str] = set()
    waiting = [recipe]
    while waiting:
        for name in imported_modules(waiting.pop()):
            if name not in found and name not in NOT_BUILD_INPUTS and name != recipe:
                found.add(name)
                waiting.append(name)
    return [module_source(name) for name in (recipe, *sorted(found))]


def module_source(name: str) -> str:
    return _module_path(name).read_text(encoding="utf-8")


def imported_modules(name: str) -> frozenset[str]:
    """The `pipelines` modules named by any import statement in the module, inside functions included."""
    path = _module_path(name)
    return _imports_in(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _imports_in(path: Path, modified_ns: int) -> frozenset[str]:
    """Parsed once per version of the file (the home page checks every model's key on each rerun)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if _source_path(alias.name))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and _source_path(node.module):
            names.update(_from_import(node.module, alias.name) for alias in node.names)
    return frozenset(names)


def _from_import(package: str, name: str) -> str:
    """`from pipelines.architectures import bergamot` names a module; `from pipelines.x import f` names x."""
    return f"{package}.{name}" if _source_path(f"{package}.{name}") else package


def _module_path(name: str) -> Path:
    path = _source_path(name)
    if path is None:
        raise ModuleNotFoundError(f"no Showroom module {name}")
    return path


def _source_path(name: str) -> Path | None:
    """The file of a `pipelines` module or package, or None for anything else."""
    top, *parts = name.split(".")
    if top != "pipelines":
        return None
    base = PACKAGE.joinpath(*parts)
    candidates = (base.with_suffix(".py"), base / "__init__.py") if parts else (base / "__init__.py",)
    return next((candidate for candidate in candidates if candidate.is_file()), None)
