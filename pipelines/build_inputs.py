"""Which Showroom modules shape a model's build: the recipe and everything it imports, transitively.

Recipes import their model classes inside `build()` (so listing models does not import torch), which a
look at the recipe's module-level names misses. Reading the import statements of the source instead finds
those too, and following them finds the architectures, readers and training loops behind them: editing
any of them changes the build key and marks the model outdated.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import types

# The catalog (its pins are hashed on their own), the errors and the fetching code (whose output is checked
# against pinned hashes) shape no model.
NOT_BUILD_INPUTS = frozenset({"pipelines", "pipelines.catalog", "pipelines.errors", "pipelines.fetch"})


def build_modules(recipe: types.ModuleType) -> list[types.ModuleType]:
    """The recipe first, then every Showroom module it reaches through imports, sorted by name."""
    found: set[str] = set()
    waiting = [recipe.__name__]
    while waiting:
        for name in imported_modules(importlib.import_module(waiting.pop())):
            if name not in found and name not in NOT_BUILD_INPUTS and name != recipe.__name__:
                found.add(name)
                waiting.append(name)
    return [recipe, *(importlib.import_module(name) for name in sorted(found))]


def imported_modules(module: types.ModuleType) -> set[str]:
    """The `pipelines` modules named by any import statement in the module, inside functions included."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if _is_showroom(alias.name))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and _is_showroom(node.module):
            names.update(_from_import(node.module, alias.name) for alias in node.names)
    return names


def _from_import(package: str, name: str) -> str:
    """`from pipelines.architectures import bergamot` names a module; `from pipelines.x import f` names x."""
    is_package = hasattr(importlib.import_module(package), "__path__")
    return f"{package}.{name}" if is_package and importlib.util.find_spec(f"{package}.{name}") else package


def _is_showroom(name: str) -> bool:
    return name == "pipelines" or name.startswith("pipelines.")
