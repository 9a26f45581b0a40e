"""The hostile-input corpus: real bad (and merely strange) files and texts, built byte for byte.

Each entry is what someone could really send a shared demo: broken downloads, renamed files,
decompression bombs, a two-hour silent recording, a video, spreadsheets with formulas, unicode that
breaks naive code. `refusal` is a phrase the one-sentence refusal must contain; entries without one
are valid, if odd, and must produce their `result` (a phrase of the top label, the sentiment labels, the
transcript or the translation) and, when given, have `note` among the notes the page shows beside it.
Sentiment results are only asked of texts the model scores with a wide margin: it is trained at set-up,
so each machine's copy differs a little, and a near tie could flip.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image

from tests.conftest import CAT_PHOTO, ROOT

AUDIO = ROOT / "assets" / "eval" / "audio"
REVIEWS_CSV = ROOT / "assets" / "text" / "reviews.csv"


@dataclass(frozen=True)
class Hostile:
    name: str
    medium: str  # the page it goes through: "image", "audio", "text" (sentiment), "translation", "chat", "csv"
    filename: str  # the name it is uploaded under
    make: Callable[[], bytes | str]
    refusal: str | None = None
    note: str | None = None
    result: str | None = None

    @property
    def data(self) -> bytes | str:
        """Built once per test session: the engine and the page test get the same bytes."""
        return _made(self)


@cache
def _made(item: Hostile) -> bytes | str:
    return item.make()


def _saved(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _cat(mode: str = "RGB") -> Image.Image:
    with Image.open(CAT_PHOTO) as photo:
        return photo.convert(mode)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _huge_png(width: int, height: int) -> bytes:
    """A genuine, complete grayscale PNG of width × height black pixels, compressed row by row."""
    compressor = zlib.compressobj(9)
    row = bytes(width + 1)  # filter byte 0, then the pixels
    rows = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", rows) + _png_chunk(b"IEND", b"")


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny valid PNG whose header (with a correct CRC) claims a huge size."""
    data = bytearray(_saved(Image.new("L", (8, 8)), "PNG"))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def _sixteen_bit_png() -> bytes:
    return _saved(Image.fromarray(np.asarray(_cat("L"), dtype=np.uint16) * 257), "PNG")


def _animated_gif() -> bytes:
    cat = _cat()
    return _saved(cat, "GIF", save_all=True, append_images=[cat.rotate(180)], duration=100, loop=0)


def _audio_frames(stream, samples: np.ndarray):
    """Float samples in [-1, 1] as 16-bit frames the stream's encoder accepts, then its flush."""
    import av

    step = stream.codec_context.frame_size or 80_000
    for start in range(0, len(samples), step):
        chunk = (samples[start : start + step] * 32767).astype(np.int16)[None, :]
        frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
        frame.sample_rate, frame.pts = stream.rate, start
        yield from stream.encode(frame)
    yield from stream.encode(None)


def _silent_flac(seconds: int) -> bytes:
    """Lossless silence: two hours at 8 kHz is 1.3 MB, well inside the upload limit."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="flac") as out:
        stream = out.add_stream("flac", rate=8000, layout="mono")
        for packet in _audio_frames(stream, np.zeros(seconds * 8000, dtype=np.float32)):
            out.mux(packet)
    return buffer.getvalue()


def _video(with_speech: bool) -> bytes:
    """An MP4 of black MPEG-4 frames, with the test passage as its AAC soundtrack or without sound."""
    import av

    from pipelines.media.audio import prepare_audio

    speech = prepare_audio(AUDIO / "passage.wav").samples if with_speech else None
    seconds = len(speech) / 16000 if with_speech else 3
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        picture = out.add_stream("mpeg4", rate=5)
        picture.width, picture.height, picture.pix_fmt = 64, 48, "yuv420p"
        sound = out.add_stream("aac", rate=16000, layout="mono") if with_speech else None
        black = np.zeros((48, 64, 3), dtype=np.uint8)
        for index in range(int(seconds * 5)):
            frame = av.VideoFrame.from_ndarray(black, format="rgb24")
            frame.pts = index
            out.mux(picture.encode(frame))
        out.mux(picture.encode(None))
        if sound is not None:
            for packet in _audio_frames(sound, speech):
                out.mux(packet)
    return buffer.getvalue()


def _truncated(path, fraction: float = 0.4) -> Callable[[], bytes]:
    return lambda: path.read_bytes()[: int(path.stat().st_size * fraction)]


def _csv(text: str, encoding: str = "utf-8") -> Callable[[], bytes]:
    return lambda: text.encode(encoding)


_REVIEW = "The bike is great and the staff were friendly."
_ACCEPTED_IMAGES = "JPEG, PNG, WebP, GIF, BMP or TIFF"

CORPUS: tuple[Hostile, ...] = (
    # Images: through image classification (engine and page).
    Hostile("zero-byte image", "image", "empty.jpg", lambda: b"", "empty (0 bytes)"),
    Hostile(
        "text renamed .jpg", "image", "notes.jpg", lambda: b"Meeting notes, renamed to .jpg\n" * 20, "not an image"
    ),
    Hostile("truncated JPEG", "image", "cut.jpg", _truncated(CAT_PHOTO), "truncated or damaged"),
    Hostile("truncated PNG", "image", "cut.png", lambda: _saved(_cat(), "PNG")[:60_000], "truncated or damaged"),
    Hostile("decompression bomb", "image", "bomb.png", lambda: _png_claiming(60_000, 60_000), "decompression bomb"),
    Hostile("20,000 × 20,000 image", "image", "huge.png", lambda: _huge_png(20_000, 20_000), "too large"),
    Hostile(
        "PDF renamed .png",
        "image",
        "invoice.png",
        lambda: b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer\n%%EOF\n",
        "not an image",
    ),
    Hostile(
        "SVG renamed .png", "image", "logo.png", lambda: b'<svg xmlns="http://www.w3.org/2000/svg"/>', "not an image"
    ),
    Hostile("video renamed .jpg", "image", "clip.jpg", lambda: _video(with_speech=False), "not an image"),
    Hostile(
        "ICO renamed .png",
        "image",
        "favicon.png",
        lambda: _saved(_cat().resize((64, 64)), "ICO"),
        "ICO images are not supported",
    ),
    Hostile("16-bit PNG", "image", "scan16.png", _sixteen_bit_png, note="16-bit grayscale"),
    Hostile("CMYK JPEG", "image", "print.jpg", lambda: _saved(_cat("CMYK"), "JPEG"), note="CMYK"),
    Hostile("animated GIF", "image", "cats.gif", _animated_gif, note="first of its 2 frames"),
    Hostile(
        "1 × 1 pixel image",
        "image",
        "pixel.png",
        lambda: _saved(Image.new("RGB", (1, 1), "white"), "PNG"),
        note="its 1-pixel side is too small to show much detail",
    ),
    # Audio: through speech to text.
    Hostile("zero-byte audio", "audio", "empty.wav", lambda: b"", "empty (0 bytes)"),
    Hostile("text renamed .wav", "audio", "notes.wav", lambda: b"just some text, renamed\n" * 30, "not audio"),
    Hostile("WAV header only", "audio", "header.wav", lambda: (AUDIO / "passage.wav").read_bytes()[:44], "not audio"),
    Hostile("JPEG renamed .mp3", "audio", "song.mp3", lambda: CAT_PHOTO.read_bytes(), "no audio track"),
    Hostile("video without sound", "audio", "screen.mp4", lambda: _video(with_speech=False), "no audio track"),
    Hostile("two hours of silence", "audio", "meeting.flac", lambda: _silent_flac(2 * 3600), "2 h 00 min"),
    Hostile("truncated MP3", "audio", "cut.mp3", _truncated(AUDIO / "passage.mp3", 0.5), note="cut short"),
    Hostile("video with speech", "audio", "talk.mp4", lambda: _video(with_speech=True), result="quarterly report"),
    # Single texts: sentiment, translation and the chat assistant.
    Hostile("whitespace only", "text", "", lambda: " \n\t\u00a0\u3000 ", "empty"),
    Hostile("emoji only", "text", "", lambda: "😀🎉👍🏽🇵🇹", "no words"),
    Hostile("zero-width characters only", "text", "", lambda: "\u200b\u200c\u200d\ufeff" * 50, "no words"),
    Hostile(
        "lone surrogate",
        "text",
        "",
        lambda: "The box arrived damaged \ud83d and nobody answered my emails",
        result="negative",
    ),
    Hostile(
        "control characters and NUL",
        "text",
        "",
        lambda: "Great\x00 service\x07, \x1b[31mreally\x1b[0m good!",
        result="positive",
    ),
    Hostile(
        "combining-mark flood",
        "text",
        "",
        lambda: "Te\u0301rrible" + "\u0336\u0335\u0334" * 700 + " service",
        result="negative",
    ),
    Hostile(
        "bidi override",
        "text",
        "",
        lambda: "\u202eThe staff were wonderful\u202c and the bike is perfect.",
        result="positive",
    ),
    Hostile(
        "one 200,000-character line",
        "text",
        "",
        lambda: "Great service, I love it! " * 7_700,
        note="only its first 512 tokens were read",
        result="positive",
    ),
    Hostile(
        "script tag",
        "translation",
        "",
        lambda: "<script>alert('x')</script> The shop is open.",
        result="<script>alert('x')</script> A loja está aberta.",
    ),
    Hostile("60,000 characters", "translation", "", lambda: "The shop is open. " * 3334, "20,000"),
    Hostile("one word of 19,000 letters", "translation", "", lambda: "a" * 19_000, result="a" * 100),
    Hostile(
        "lone surrogate to translate",
        "translation",
        "",
        lambda: "Where is the \udc00 station?",
        result="Onde está a estação?",
    ),
    Hostile(
        "100,000-character question",
        "chat",
        "",
        lambda: "Is the shop open? " * 5_556,
        note="the assistant read its last",
    ),
    # CSV files: through the sentiment batch.
    Hostile("zero-byte CSV", "csv", "empty.csv", lambda: b"", "empty"),
    Hostile("PNG renamed .csv", "csv", "data.csv", lambda: _saved(_cat().resize((32, 32)), "PNG"), "not a CSV"),
    Hostile("header only", "csv", "header.csv", _csv("review\n"), "no rows"),
    Hostile("over 5 MB", "csv", "big.csv", _csv("review\n" + f"{_REVIEW}\n" * 110_000), "5 MB limit"),
    Hostile("10,001 rows", "csv", "rows.csv", _csv("review\n" + "Fine.\n" * 10_001), "10,000"),
    Hostile("unclosed quote", "csv", "quote.csv", _csv('review,stars\n"Great bike,5\nBad,1\n'), "could not be read"),
    Hostile("ragged rows", "csv", "ragged.csv", _csv("review\nGood,1,2,3\nBad\n"), "could not be read"),
    Hostile(
        "formula-injection cell",
        "csv",
        "formulas.csv",
        _csv('review\n"=HYPERLINK(""http://evil.example"",""click"") great"\n@SUM(1+1) awful\n'),
        result="positive negative",
    ),
    Hostile(
        "UTF-16 CSV from Excel",
        "csv",
        "excel.csv",
        lambda: "review\nI love this bike!\n".encode("utf-16"),
        result="positive",
    ),
    Hostile(
        "Windows-1252 CSV", "csv", "latin.csv", _csv("review\nCafé crème was lovely\n", "cp1252"), result="positive"
    ),
    Hostile(
        "one 1 MB cell",
        "csv",
        "long.csv",
        _csv("review\n" + "great service " * 75_000 + "\n"),
        note="only its first 512 tokens were read",
        result="positive",
    ),
    Hostile("empty text column", "csv", "blank.csv", _csv("review,stars\n,5\n,1\n"), "empty"),
)
