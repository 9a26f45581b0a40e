"""Shared fixtures: the real default models, provisioned once into SHOWROOM_HOME."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.provisioning.catalog import CATALOG
from pipelines.provisioning.provision import pull
from pipelines.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "assets" / "images"
CAT_PHOTO = IMAGES / "chelsea.jpg"
# ImageNet's domestic cats: tabby, tiger cat, Persian, Siamese, Egyptian cat.
IMAGENET_CAT_IDS = range(281, 286)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what `make check` leaves out: `slow`, a test that needs the built models (it asks for
    `provisioned`, directly or through another fixture), and `serve`, one that starts the Ray Serve app."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "provisioned" in fixtures:
            item.add_marker(pytest.mark.slow)
        if "serve_url" in fixtures:
            item.add_marker(pytest.mark.serve)


@pytest.fixture(scope="session", autouse=True)
def audience_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The tests' visits go to a record of use of their own, not to the operator's `SHOWROOM_HOME/audience.db`
    (a SHOWROOM_DATABASE_URL already set, a PostgreSQL say, is kept); the dashboards the tests start inherit it."""
    url = os.environ.get("SHOWROOM_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('audience') / 'audience.db'}"
    os.environ["SHOWROOM_DATABASE_URL"] = url
    return url


@pytest.fixture(scope="session")
def provisioned() -> Path:
    """The default models, pulled into SHOWROOM_HOME (a no-op when `make test` already did it)."""
    results = pull(report=lambda line: None)
    failed = [f"{result.name}: {result.error}" for result in results if result.outcome == "failed"]
    assert not failed, failed
    return load_settings().home


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@pytest.fixture
def fresh_home(provisioned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """An empty SHOWROOM_HOME whose download cache is seeded from the real one (no re-download). The cache's
    files are hard links (a copy only across file systems): 32 tests copying its 800 MB filled CI's disk. The
    engine replaces a cached file, never writes into one, so a test's home cannot change the real cache."""
    home = tmp_path / "home"
    shutil.copytree(provisioned / "downloads", home / "downloads", copy_function=_link_or_copy)
    monkeypatch.setenv("SHOWROOM_HOME", str(home))
    return load_settings()


@pytest.fixture(scope="session")
def cat_labels(provisioned: Path) -> dict[str, set[str]]:
    """Per image model, the label names of ImageNet's cat classes as written in its config."""
    from transformers import AutoConfig

    import pipelines.architectures  # noqa: F401

    labels = {}
    for spec in CATALOG:
        if spec.task == "image-classification":
            config = AutoConfig.from_pretrained(provisioned / "models" / spec.name)
            labels[spec.name] = {config.id2label[index] for index in IMAGENET_CAT_IDS}
    return labels


@pytest.fixture(autouse=True)
def no_page_failed_unexpectedly(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A page that fails shows the visitor one sentence (`pages.ui.run_engine`), so `not app.exception`
    alone would pass; what the boundary logs fails the test instead (a test that forces it clears the log)."""
    yield
    failures = [record for record in caplog.get_records("call") if record.name == "showroom.pages"]
    assert not failures, failures[0].exc_text
