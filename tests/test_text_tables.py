"""CSV downloads: cells a spreadsheet would run as formulas are defused, everything else is unchanged."""

from __future__ import annotations

import io

import pandas as pd

from pipelines.text_tables import safe_csv


def test_formula_cells_are_defused_and_other_cells_kept() -> None:
    hostile = [
        '=HYPERLINK("http://evil.example","click")',
        "+1+1",
        "-2+3",
        "@SUM(A1:A9)",
        "\tTAB=1",
        "A normal review, with a comma.",
        "",
    ]
    frame = pd.DataFrame({"text": hostile, "score": [0.5, -0.25, 1.0, 0.0, 0.1, 0.9, 0.3]})
    back = pd.read_csv(io.StringIO(safe_csv(frame)), keep_default_na=False)
    assert back["text"].tolist() == [
        '\'=HYPERLINK("http://evil.example","click")',
        "'+1+1",
        "'-2+3",
        "'@SUM(A1:A9)",
        "'\tTAB=1",
        "A normal review, with a comma.",
        "",
    ]
    assert back["score"].tolist() == [0.5, -0.25, 1.0, 0.0, 0.1, 0.9, 0.3]  # numbers stay numbers
