"""Source Sans, the dashboard's own typeface, found in the files the installed Streamlit package ships
for its web page. The package is located, not imported, so the engine stays free of it; where a release
moves the files the pictures fall back to Pillow's default (which has no accented letters: "às" came out
as a box). Canary: tests/test_canaries.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def source_sans_files() -> list[Path]:
    """The upright Source Sans font files, first the one the pictures use; empty where none is found."""
    spec = importlib.util.find_spec("streamlit")
    package = Path(spec.origin).parent if spec and spec.origin else None
    return sorted((package / "static" / "static" / "media").glob("SourceSans*Upright*.woff2")) if package else []
