"""Image input, normalised at the edge: whatever a phone, a scanner or a browser sends becomes an
upright, RGB, reasonably sized PIL image, or an InputError that says what was wrong.

Every vision task goes through `prepare_image`, so each of them refuses the same bad files with
the same sentences.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from pipelines.errors import InputError
from pipelines.settings import Settings, load_settings

ACCEPTED = "JPEG, PNG, WebP, GIF, BMP or TIFF"
UPLOAD_TYPES = ("jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff")
_READABLE_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP", "TIFF"}  # MPO: iPhone/camera JPEGs
_WHITE = (255, 255, 255)
# The image models read 224 × 224 pixels; a side under 32 is stretched at least sevenfold, so its scores
# say little, and a visitor should know why they are low.
TINY_SIDE = 32

ImageSource = bytes | str | Path | BinaryIO | Image.Image


@dataclass(frozen=True)
class PreparedImage:
    """An image ready for a model, plus what was done to it (shown to the user)."""

    image: Image.Image
    original_size: tuple[int, int]  # (width, height), upright, before any downscaling
    notes: tuple[str, ...] = ()

    @property
    def scale(self) -> float:
        """Model-image pixels per original pixel: 1.0 unless the image was downscaled."""
        return self.image.width / self.original_size[0]


def prepare_image(source: ImageSource, settings: Settings | None = None) -> PreparedImage:
    """Decode and normalise one image; bad input raises InputError with a sentence for the user."""
    settings = settings or load_settings()
    notes: list[str] = []
    image = source if isinstance(source, Image.Image) else _decode(_read_bytes(source), settings, notes)
    upright = ImageOps.exif_transpose(image)
    if upright.size != image.size or _orientation(image) not in (None, 1):
        notes.append("rotated upright using its EXIF orientation")
    rgb = _to_rgb(upright, notes)
    original_size = rgb.size
    if min(rgb.size) < TINY_SIDE:
        notes.append(f"its {min(rgb.size)}-pixel side is too small to show much detail, so expect low scores")
    if max(rgb.size) > settings.max_image_side:
        rgb = rgb.copy()
        rgb.thumbnail((settings.max_image_side, settings.max_image_side), Image.Resampling.LANCZOS)
        notes.append(f"downscaled from {original_size[0]}×{original_size[1]} to {rgb.width}×{rgb.height}")
    return PreparedImage(rgb, original_size, tuple(notes))


def _read_bytes(source: bytes | str | Path | BinaryIO) -> bytes:
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise InputError(f"There is no image file at {path}. Give the path of a {ACCEPTED} file.")
        data = path.read_bytes()
    else:
        data = source.getvalue() if hasattr(source, "getvalue") else source.read()
    if not data:
        raise InputError(f"The file is empty (0 bytes). Upload a {ACCEPTED} image.")
    return data


def _decode(data: bytes, settings: Settings, notes: list[str]) -> Image.Image:
    try:
        with warnings.catch_warnings():  # our own, lower limit is checked below, with a clearer message
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as bomb:
        raise _too_large(settings) from bomb
    except (UnidentifiedImageError, OSError, ValueError) as unreadable:
        raise InputError(
            f"This file is not an image that can be read (it may be another kind of file renamed). "
            f"Upload a {ACCEPTED} image."
        ) from unreadable
    if image.format not in _READABLE_FORMATS:
        raise InputError(f"{image.format} images are not supported. Upload a {ACCEPTED} image.")
    if image.width * image.height > settings.max_image_pixels:
        raise _too_large(settings, image.size)
    frames = getattr(image, "n_frames", 1)
    if frames > 1:
        image.seek(0)
        notes.append(f"used the first of its {frames} frames")
    try:
        image.load()
    except (OSError, SyntaxError, ValueError) as damaged:
        raise InputError(
            f"The image file is truncated or damaged and cannot be decoded. Upload a complete {ACCEPTED} image."
        ) from damaged
    return image


def _too_large(settings: Settings, size: tuple[int, int] | None = None) -> InputError:
    limit = settings.max_image_pixels / 1e6
    dimensions = f" ({size[0]}×{size[1]} pixels)" if size else ""
    return InputError(
        f"The image is too large{dimensions}: more than {limit:.0f} megapixels, which is refused as a "
        f"possible decompression bomb. Upload a {ACCEPTED} image under {limit:.0f} megapixels."
    )


def _orientation(image: Image.Image) -> int | None:
    return image.getexif().get(ImageOps.ExifTags.Base.Orientation)


def _to_rgb(image: Image.Image, notes: list[str]) -> Image.Image:
    """Convert any PIL mode to 8-bit RGB; transparency is flattened onto white, not black."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*_WHITE, 255))
        notes.append("flattened its transparency onto white")
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode.startswith(("I", "F")):
        notes.append(f"converted from {_describe(mode)} to 8-bit RGB")
        return _high_depth_to_rgb(image)
    if mode != "P":  # palette images are ordinary colour images; not worth a note
        notes.append(f"converted from {_describe(mode)} to RGB")
    return image.convert("RGB")


def _high_depth_to_rgb(image: Image.Image) -> Image.Image:
    """Rescale 16/32-bit and float images to 0-255; PIL's own convert would clip them to white."""
    pixels = np.asarray(image, dtype=np.float32)
    if image.mode.startswith("I;16") or (image.mode == "I" and pixels.max() > 255):
        full_scale = 65535.0
    elif image.mode == "F":
        full_scale = max(float(pixels.max()), 1.0)
    else:
        full_scale = 255.0
    eight_bit = np.clip(pixels / full_scale * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(eight_bit).convert("RGB")


def _describe(mode: str) -> str:
    names = {"L": "grayscale", "1": "black-and-white", "CMYK": "CMYK", "YCbCr": "YCbCr", "LAB": "Lab", "F": "float"}
    if mode.startswith("I;16") or mode == "I":
        return "16-bit grayscale"
    return names.get(mode, mode)
