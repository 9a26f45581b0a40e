"""Where the benchmarks write, and the Markdown tables the README quotes."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def markdown_table(headers: list[str], rows: list[list[object]]) -> str:
    """Cells as `str` writes them, so a number needs no formatting of its own (a seed, a count)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def save(name: str, text: str) -> None:
    """Write benchmarks/results/<name> and echo it, so a run in a terminal shows the table too."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / name).write_text(text)
    print(text)
