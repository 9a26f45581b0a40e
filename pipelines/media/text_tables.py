"""Texts in bulk: an uploaded CSV read safely, and one of its columns taken as the texts.

Batch pages (sentiment, translation) share this, so a broken CSV gets the same sentence everywhere.
"""

from __future__ import annotations

import codecs
import io
import warnings

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
    text = _decoded(data)
    if not text.strip():
        raise InputError("The CSV is empty. Upload a CSV with a header row and one text per row.")
    if "\x00" in text[:4096]:
        raise InputError("This file is not a CSV (it looks like a binary file). Upload a CSV saved as text.")
    try:
        with warnings.catch_warnings():  # pandas only warns when a row is longer than the header
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, index_col=False)
    except pd.errors.ParserWarning as ragged:
        raise InputError(
            "The CSV could not be read: some rows have more fields than the header. "
            "Quote texts that contain commas, or upload a comma-separated file with a header row."
        ) from ragged
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        raise InputError(
            f"The CSV could not be read ({error}). Upload a comma-separated file with a header row."
        ) from error
    if frame.empty:
        raise InputError("The CSV has a header but no rows. Upload a CSV with one text per row.")
    if len(frame) > MAX_ROWS:
        raise InputError(f"The CSV has {len(frame):,} rows; at most {MAX_ROWS:,} can be analysed at once.")
    return frame


def _decoded(data: bytes) -> str:
    """Text from the encodings spreadsheets save CSVs in: UTF-8 (with or without a BOM), UTF-16 with a
    BOM (Excel's "Unicode text"), else Windows-1252 (Excel's default on Western Windows)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


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
