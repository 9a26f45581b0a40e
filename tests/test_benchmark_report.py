"""The benchmarks' Markdown tables: the last thing a long run prints, so it must not fail on a cell's type."""

from __future__ import annotations

from benchmarks.report import markdown_table


def test_a_table_writes_numbers_and_text_alike() -> None:
    table = markdown_table(["recipe", "seed", "build"], [["twice", 2, "19.2 min"], ["default", 0, "14.4 min"]])
    assert table.splitlines() == [
        "| recipe | seed | build |",
        "|---|---|---|",
        "| twice | 2 | 19.2 min |",
        "| default | 0 | 14.4 min |",
    ]
