"""Texts in bulk: an uploaded CSV read safely, and one of its columns taken as the texts.

Batch pages (sentiment, translation) share this, so a broken CSV gets the same sentence everywhere.
"""

from __future__ import annotations

import io

import pandas as pd

from pipelines.errors import InputError

MAX_CSV_BYTES = 5_000_000
# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google Sheets.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 10_000
_PREFERRED_COLUMNS = ("text", "review", "comment", "message", "tweet", "sentence", "feedback")


def read_csv(data: bytes) -> pd.DataFrame:
    """Parse an uploaded CSV; anything that is not a readable, non-empty CSV gets one sentence."""
    if len(data) > MAX_CSV_BYTES:
        raise InputError(
            f"The CSV is {len(data) / 1e6:.1f} MB, over the {MAX_CSV_BYTES / 1e6:.0f} MB limit. "
            f"Upload a smaller CSV (at most {MAX_ROWS:,} rows)."
        )
    if not data.strip():
        raise InputError("The CSV is empty. Upload a CSV with a header row and one text per row.")
    if b"\x00" in data[:4096]:
        raise InputError("This file is not a CSV (it looks like a binary file). Upload a CSV saved as text.")
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding_errors="replace")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as error:
        raise InputError(
            f"The CSV could not be read ({error}). Upload a comma-separated file with a header row."
        ) from error
    if frame.empty:
        raise InputError("The CSV has a header but no rows. Upload a CSV with one text per row.")
    if len(frame) > MAX_ROWS:
        raise InputError(f"The CSV has {len(frame):,} rows; at most {MAX_ROWS:,} can be analysed at once.")
    return frame


def guess_text_column(frame: pd.DataFrame) -> str:
    """The column most likely to hold the texts: a familiar name, else the one with the longest values."""
    for column in frame.columns:
        if str(column).strip().lower() in _PREFERRED_COLUMNS:
            return column
    return max(frame.columns, key=lambda column: frame[column].astype(str).str.len().mean())


def texts_in_column(frame: pd.DataFrame, column: str) -> list[str]:
    """The column's values as texts; a missing column is named, with the ones that exist."""
    if column not in frame.columns:
        available = ", ".join(f"'{name}'" for name in frame.columns)
        raise InputError(f"The CSV has no column '{column}'. Its columns are: {available}.")
    return frame[column].astype(str).tolist()


def safe_csv(frame: pd.DataFrame) -> str:
    """The table as CSV for download, with text cells that a spreadsheet would run as formulas defused.

    Uploaded texts (and models' outputs of them) flow straight into these downloads, so a review such as
    `=HYPERLINK("http://evil", "click")` must open as text: a leading apostrophe makes every spreadsheet
    show the cell as typed instead of evaluating it (OWASP's advice for CSV injection).
    """
    defused = frame.copy()
    for column in defused.columns:
        if defused[column].dtype == object or pd.api.types.is_string_dtype(defused[column]):
            defused[column] = defused[column].map(_defuse)
    return defused.to_csv(index=False)


def _defuse(value: object) -> object:
    return f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA_STARTS) else value
