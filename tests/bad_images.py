"""Real bad image files, written byte for byte the way broken uploads arrive."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from PIL import Image


def zero_byte(folder: Path) -> Path:
    path = folder / "empty.jpg"
    path.write_bytes(b"")
    return path


def text_renamed_jpg(folder: Path) -> Path:
    path = folder / "notes.jpg"
    path.write_text("Meeting notes: this is a text file someone renamed to .jpg\n")
    return path


def truncated_jpeg(folder: Path, source: Path) -> Path:
    """The first 40% of a real JPEG, as an interrupted download leaves it."""
    data = source.read_bytes()
    path = folder / "truncated.jpg"
    path.write_bytes(data[: len(data) * 2 // 5])
    return path


def png_claiming_size(folder: Path, width: int, height: int) -> Path:
    """A valid tiny PNG whose header (with a correct CRC) claims a huge size: a decompression bomb."""
    buffer = io.BytesIO()
    Image.new("L", (8, 8)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    header_start = 8 + 8  # signature, then the IHDR chunk's length and type
    data[header_start : header_start + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12 : header_start + 13]))
    data[header_start + 13 : header_start + 17] = struct.pack(">I", crc)
    path = folder / f"bomb-{width}x{height}.png"
    path.write_bytes(bytes(data))
    return path
