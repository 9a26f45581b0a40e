"""CSV downloads: cells a spreadsheet would run as formulas are defused, everything else is unchanged."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from pipelines.errors import InputError
from pipelines.media.text_tables import read_csv, safe_csv


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


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("review\nCafé crème très bon\n".encode("utf-16"), "UTF-16 with a BOM (Excel's Unicode text)"),
        ("review\nCafé crème très bon\n".encode("utf-8-sig"), "UTF-8 with a BOM"),
        ("review\nCafé crème très bon\n".encode("cp1252"), "Windows-1252"),
    ],
)
def test_spreadsheet_encodings_are_decoded(data: bytes, encoding: str) -> None:
    frame = read_csv(data)
    assert list(frame.columns) == ["review"], encoding
    assert frame["review"].tolist() == ["Café crème très bon"], encoding


def test_rows_longer_than_the_header_are_refused_not_shifted() -> None:
    with pytest.raises(InputError, match="some rows have more fields than the header"):
        read_csv(b"review\nGood, really good,5\n")
