"""The home page's pictures, drawn from the real models' outputs on the bundled examples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from pipelines.reports.card_pictures import DRAWERS, SIZE, pictures_key, write_pictures
from pipelines.tasks.object_detection import colour_of
from tests.test_pages import open_page


def test_every_demo_gets_a_picture_of_its_model_at_work(provisioned: Path, tmp_path: Path) -> None:
    written = write_pictures(tmp_path / "pictures")
    assert {path.stem for path in written} == set(DRAWERS)
    assert (tmp_path / "pictures" / "key.txt").read_text().strip() == pictures_key()
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")]  # no staging left behind
    for path in written:
        assert Image.open(path).size == SIZE
    detection = np.asarray(Image.open(tmp_path / "pictures" / "object-detection.png").convert("RGB"))
    cat = tuple(int(colour_of("cat")[i : i + 2], 16) for i in (1, 3, 5))
    assert (np.abs(detection.astype(int) - cat).sum(axis=2) < 30).sum() > 500  # the cat's box, in its colour


def test_the_home_page_shows_the_pictures_in_the_demo_cards(provisioned: Path) -> None:
    app = open_page("pages/home.py")
    assert not app.exception
    assert len(app.get("image")) == len(DRAWERS)
