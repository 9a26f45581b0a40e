"""Make the speech clips the tests and the page use, with espeak-ng (a real synthesiser, not recorded speech).

    python tools/make_speech_clips.py      (needs Debian's espeak-ng; the clips are committed)

Writes assets/eval/audio/: one passage in every supported format (WAV, FLAC, MP3, OGG Vorbis, Opus, M4A,
WebM), the same passage at 8 kHz mono (WAV) and 44.1 kHz stereo (FLAC), an 81-second talk, four sentences
in other voices and at other speeds, pure silence, a video with no audio track; and assets/audio/: the
page's one-click examples. transcripts.json records what was said. (The recorded speech beside them,
assets/eval/audio/librivox/, is copied from a package, not made here.)
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "assets" / "eval" / "audio"
ASSETS = ROOT / "assets" / "audio"
PASSAGE = "Please send me the quarterly report before Friday. We will discuss the new budget in the large meeting room."
TALK = (
    "Welcome to the monthly update from the Northwind bike shop. "
    "This month we sold more electric bikes than ever before. "
    "The new workshop opened on the first of the month and it is already busy. "
    "Customers can now book a repair online and collect the bike the same day. "
    "Our delivery times are down to two days in most of the country. "
    "We are hiring two mechanics and one person for the front desk. "
    "The spring sale starts next week with discounts on helmets and lights. "
    "Please remember that the shop is closed on public holidays. "
    "Thank you to everyone who answered our customer survey. "
    "Most of you asked for longer opening hours on Saturdays, so we will stay open until six. "
    "Next month we will test a new city bike with a longer battery life. "
    "The team also fixed more than three hundred flat tyres, which is a new record for the winter. "
    "If your bike needs a service before the summer, please book early because the calendar fills up fast. "
    "We have added a small cafe corner where you can wait while we work on your bike. "
    "Parents can now rent a child seat for a weekend at no extra cost. "
    "Finally, we will hold a free safety class for new riders on the last Sunday of the month. "
    "That is all for today, and thank you for listening."
)
EXAMPLES = {
    "support_call.wav": "Hello, I bought a bike from your shop last week and the front brake is making a noise.",
    "weather_report.wav": "Tomorrow will be sunny in the morning, with light rain expected in the afternoon.",
}
# Name → (espeak-ng voice, words a minute, text): accents, a female variant, slow and fast speech.
VOICES = {
    "british_fast": (
        "en-gb-x-rp",
        190,
        "The last train to the coast leaves from the north platform, so we should take a taxi.",
    ),
    "scottish_slow": (
        "en-gb-scotland",
        125,
        "My grandmother grew up on a small farm near the sea, where the winters were long and dark.",
    ),
    "american_female": (
        "en-us+f3",
        165,
        "Could you check whether my parcel has left the warehouse? The tracking page has not changed since Monday.",
    ),
    "caribbean": (
        "en-029",
        150,
        "We are planning a picnic by the river on Saturday, so please bring a blanket and something to drink.",
    ),
}
# Format → (container, codec, sample rate, channels); every file carries the same passage. FFmpeg's own
# Vorbis encoder writes stereo only.
FORMATS = {
    "wav": ("wav", "pcm_s16le", 16000, 1),
    "flac": ("flac", "flac", 16000, 1),
    "mp3": ("mp3", "libmp3lame", 22050, 1),
    "ogg": ("ogg", "vorbis", 22050, 2),
    "opus": ("ogg", "libopus", 48000, 1),
    "m4a": ("mp4", "aac", 44100, 1),
    "webm": ("webm", "libopus", 48000, 1),
}


def speak(text: str, work: Path, voice: str = "en-us", speed: int = 150) -> tuple[np.ndarray, int]:
    """espeak-ng's voice as float samples at its native 22,050 Hz."""
    wav = work / "speech.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text], check=True)
    with av.open(str(wav)) as container:
        frames = [frame.to_ndarray().astype(np.float32).reshape(-1) for frame in container.decode(audio=0)]
        rate = container.streams.audio[0].rate
    return np.concatenate(frames) / 32768.0, rate


def write(path: Path, samples: np.ndarray, rate: int, container: str, codec: str, out_rate: int, channels: int = 1):
    """Encode mono samples (resampled to `out_rate`, duplicated to `channels`) with PyAV."""
    layout = "mono" if channels == 1 else "stereo"
    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
    frame.sample_rate = rate
    frame.time_base = Fraction(1, rate)
    with av.open(str(path), "w", format=container) as output:
        stream = output.add_stream(codec, rate=out_rate, layout=layout, options={"strict": "experimental"})  # Vorbis
        if codec in ("libopus", "libmp3lame", "aac"):
            # Enough for speech (AAC needs more than Opus or MP3), and it keeps the committed clips small.
            stream.bit_rate = 64_000 if codec == "aac" else 32_000
        resampler = av.AudioResampler(format=stream.format.name, layout=layout, rate=out_rate)
        for converted in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(converted):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)


def video_without_audio(path: Path) -> None:
    with av.open(str(path), "w", format="webm") as output:
        stream = output.add_stream("libvpx", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(20):
            picture = np.full((48, 64, 3), index * 10, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)


def main() -> None:
    TESTS.mkdir(parents=True, exist_ok=True)
    ASSETS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        passage, rate = speak(PASSAGE, work)
        for extension, (container, codec, out_rate, channels) in FORMATS.items():
            write(TESTS / f"passage.{extension}", passage, rate, container, codec, out_rate, channels)
        write(TESTS / "passage_8khz_mono.wav", passage, rate, "wav", "pcm_s16le", 8000)
        write(TESTS / "passage_44khz_stereo.flac", passage, rate, "flac", "flac", 44100, channels=2)
        talk, rate = speak(TALK, work)
        write(TESTS / "talk.opus", talk, rate, "ogg", "libopus", 48000)
        for name, (voice, speed, text) in VOICES.items():
            samples, rate = speak(text, work, voice, speed)
            write(TESTS / f"{name}.opus", samples, rate, "ogg", "libopus", 48000)
        write(TESTS / "silence.wav", np.zeros(rate * 3, dtype=np.float32), rate, "wav", "pcm_s16le", 16000)
        video_without_audio(TESTS / "video_only.webm")
        for name, text in EXAMPLES.items():
            samples, rate = speak(text, work)
            write(ASSETS / name, samples, rate, "wav", "pcm_s16le", 16000)
    transcripts = {"passage": PASSAGE, "talk": TALK, **{Path(name).stem: text for name, text in EXAMPLES.items()}}
    transcripts |= {name: text for name, (_, _, text) in VOICES.items()}
    (TESTS / "transcripts.json").write_text(json.dumps(transcripts, indent=1) + "\n")
    (ASSETS / "examples.json").write_text(
        json.dumps(
            [
                {"file": name, "caption": name.removesuffix(".wav").replace("_", " ").capitalize(), "text": text}
                for name, text in EXAMPLES.items()
            ],
            indent=1,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
