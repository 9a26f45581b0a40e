"""The JSON the dashboard and a Serve replica exchange: real items and results come back equal, and
anything malformed is one sentence, never an exception from deep inside the decoder."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipelines.errors import InputError
from pipelines.media.audio import SAMPLE_RATE, prepare_audio
from pipelines.media.images import prepare_image
from pipelines.serving.wire import decode, encode
from tests.conftest import CAT_PHOTO, ROOT


def travelled(value: object) -> object:
    return decode(json.loads(json.dumps(encode(value))))


def test_an_image_and_an_audio_window_arrive_as_they_left() -> None:
    image = prepare_image(CAT_PHOTO).image
    samples = prepare_audio(ROOT / "assets" / "audio" / "support_call.wav").samples
    [image_back, window_back] = travelled([image, {"raw": samples, "sampling_rate": SAMPLE_RATE}])
    assert image_back.size == image.size and image_back.tobytes() == image.tobytes()
    assert window_back["raw"].dtype == samples.dtype and np.array_equal(window_back["raw"], samples)
    assert window_back["sampling_rate"] == SAMPLE_RATE


def test_options_stay_tuples_and_results_keep_their_shape() -> None:
    options = (False, (("language", "en"), ("task", "transcribe")))
    assert travelled(options) == options and hash(travelled(options))
    result = [{"text": "Hello.", "chunks": [{"timestamp": (0.0, 1.5), "text": "Hello."}]}, np.float32(0.25)]
    assert travelled(result) == [result[0], 0.25]


@pytest.mark.parametrize(
    "sent",
    [
        {"$ndarray": {"dtype": "object", "shape": [1], "data": ""}},
        {"$ndarray": {"dtype": "float32", "shape": [3], "data": "AAAA"}},
        {"$image": {"mode": "RGB", "size": [4000, 4000], "data": "AAAA"}},
        {"$image": {"mode": "P;4", "size": [1, 1], "data": "AA=="}},
        {"$ndarray": {"dtype": "float32", "shape": [1], "data": "not base64!"}},
        {"$tuple": 5},
    ],
)
def test_a_malformed_value_is_one_sentence(sent: dict) -> None:
    with pytest.raises(InputError, match=r"^The request is not in Showroom's wire format \(.+\); send what"):
        decode(sent)


def test_what_cannot_travel_is_refused_on_the_way_out() -> None:
    with pytest.raises(TypeError):
        encode({"$tuple": 1})
    with pytest.raises(TypeError):
        encode(object())
