"""Image normalisation: what odd but valid files become, and how broken files are refused."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipelines.errors import InputError
from pipelines.media.images import prepare_image
from tests import bad_images
from tests.conftest import CAT_PHOTO


def saved(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def cat() -> Image.Image:
    return Image.open(CAT_PHOTO).convert("RGB")


def test_exif_orientation_is_applied(cat: Image.Image) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    prepared = prepare_image(saved(cat, "JPEG", exif=exif))
    assert prepared.image.size == (cat.height, cat.width)
    assert any("EXIF" in note for note in prepared.notes)


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P", "CMYK", "L", "1"])
def test_every_colour_mode_becomes_rgb(cat: Image.Image, mode: str) -> None:
    fmt = "JPEG" if mode in ("CMYK", "L") else "PNG" if mode != "1" else "BMP"
    prepared = prepare_image(saved(cat.convert(mode), fmt))
    assert prepared.image.mode == "RGB"
    assert prepared.image.size == cat.size


def test_transparency_is_flattened_onto_white() -> None:
    clear = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    prepared = prepare_image(saved(clear, "PNG"))
    assert prepared.image.getpixel((5, 5)) == (255, 255, 255)


def test_sixteen_bit_png_keeps_its_brightness() -> None:
    ramp = np.tile(np.linspace(0, 65535, 64, dtype=np.uint16), (16, 1))
    prepared = prepare_image(saved(Image.fromarray(ramp), "PNG"))
    row = np.asarray(prepared.image)[0, :, 0]
    assert row[0] == 0 and row[-1] == 255 and 100 < row[32] < 155  # a ramp, not clipped to white


def test_animated_gif_uses_its_first_frame() -> None:
    frames = [Image.new("RGB", (40, 40), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    data = saved(frames[0], "GIF", save_all=True, append_images=frames[1:])
    prepared = prepare_image(data)
    red, _, blue = prepared.image.getpixel((20, 20))
    assert red > 200 and blue < 50
    assert "first of its 2 frames" in " ".join(prepared.notes)


@pytest.mark.parametrize("fmt", ["WEBP", "TIFF", "BMP", "GIF"])
def test_other_accepted_formats_decode(cat: Image.Image, fmt: str) -> None:
    assert prepare_image(saved(cat, fmt)).image.size == cat.size


def test_oversized_image_is_downscaled_before_inference(cat: Image.Image) -> None:
    big = cat.resize((4000, 2600))
    prepared = prepare_image(saved(big, "JPEG"))
    assert max(prepared.image.size) == 1600
    assert prepared.original_size == (4000, 2600)
    assert prepared.scale == pytest.approx(0.4)


def bad_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """Each broken file and a phrase its refusal must contain."""
    return {
        "zero-byte": (bad_images.zero_byte(folder), "empty"),
        "text renamed .jpg": (bad_images.text_renamed_jpg(folder), "not an image"),
        "truncated JPEG": (bad_images.truncated_jpeg(folder, CAT_PHOTO), "truncated"),
        "decompression bomb": (bad_images.png_claiming_size(folder, 60_000, 60_000), "decompression bomb"),
        "over the pixel limit": (bad_images.png_claiming_size(folder, 8_000, 6_000), "megapixels"),
    }


@pytest.mark.parametrize(
    "case", ["zero-byte", "text renamed .jpg", "truncated JPEG", "decompression bomb", "over the pixel limit"]
)
def test_bad_files_are_refused_with_a_sentence(tmp_path: Path, case: str) -> None:
    path, phrase = bad_files(tmp_path)[case]
    with pytest.raises(InputError) as refused:
        prepare_image(path)
    message = str(refused.value)
    assert phrase in message
    assert "JPEG, PNG, WebP, GIF, BMP or TIFF" in message  # says what is accepted
    assert message.endswith(".") and "\n" not in message


def test_missing_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no image file"):
        prepare_image(tmp_path / "nowhere.jpg")
