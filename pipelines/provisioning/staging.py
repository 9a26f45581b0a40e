"""Temporary folders named after the process that owns them, so a later run can tell which are abandoned.

Downloads and builds write into `.<kind>-<name>-<pid>-<random>` folders and move the finished result
into place in one step. A process killed half-way (Ctrl-C twice, the OOM killer, a closed terminal)
leaves its folder behind; the next run removes it once that process is gone, and never touches a folder
another running pull is still writing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from pipelines.runtime.processes import running


def staging_folder(parent: Path, kind: str, name: str) -> Path:
    """A new, empty folder in `parent`; `name` (a model, or a package such as "@scope/name") is made safe."""
    parent.mkdir(parents=True, exist_ok=True)
    safe_name = re.sub(r"[^\w.-]+", "_", name)
    return Path(tempfile.mkdtemp(prefix=f".{kind}-{safe_name}-{os.getpid()}-", dir=parent))


def write_json(path: Path, data: object) -> None:
    """Write `data` as JSON beside `path` and move it into place: a reader sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}-{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    temporary.replace(path)


def remove_abandoned(parent: Path, kind: str) -> list[Path]:
    """Delete `kind` folders whose process no longer runs; the ones removed."""
    removed = []
    for stale in parent.glob(f".{kind}-*") if parent.is_dir() else ():
        pid = stale.name.rsplit("-", 2)[-2]
        if pid.isdigit() and not running(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
            removed.append(stale)
    return removed
