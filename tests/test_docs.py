"""The README and the docs stay true to the code: the configuration table is the one the settings code
generates and names every variable the code reads, every relative link and anchor resolves, and the README
stays short enough to read in ten minutes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tools import config_table

DOCUMENTS = [ROOT / "README.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def test_the_readme_holds_the_configuration_table_the_settings_code_generates() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert config_table.readme_with_table(readme) == readme, "run `python -m tools.config_table --write`"


def test_every_variable_the_code_reads_is_in_the_configuration_table() -> None:
    sources = [*(ROOT / "pipelines").rglob("*.py"), *(ROOT / "pages").rglob("*.py"), ROOT / "app.py"]
    named = {name for path in sources for name in re.findall(r"SHOWROOM_[A-Z0-9_]*[A-Z0-9]", path.read_text())}
    in_table = {name for name, _, _ in config_table.rows()}
    assert named - in_table == set()
    assert all(what for _, _, what in config_table.rows()), "every setting needs a comment above it"


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(document: Path) -> set[str]:
    found, fenced = set(), False
    for line in document.read_text(encoding="utf-8").splitlines():
        fenced ^= line.startswith("```")
        if not fenced and (heading := re.match(r"#+ (.*)", line)):
            found.add(slug(heading.group(1)))
    return found


def links(document: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", document.read_text(encoding="utf-8"), flags=re.S)
    return [target for target in LINK.findall(text) if not re.match(r"[a-z]+:", target)]


def broken_links(document: Path) -> list[str]:
    broken = []
    for target in links(document):
        path, _, anchor = target.partition("#")
        linked = (document.parent / path).resolve() if path else document
        if not linked.exists() or (anchor and anchor not in anchors(linked)):
            broken.append(target)
    return broken


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(document: Path) -> None:
    assert broken_links(document) == []


def test_the_link_check_finds_a_missing_file_and_a_missing_anchor(tmp_path: Path) -> None:
    (tmp_path / "serving.md").write_text("# Serving\n\n## Load and memory: measured\n", encoding="utf-8")
    links = "[a](serving.md#load-and-memory-measured) [b](serving.md#load) [c](gone.md) [d](https://x.org/#y)"
    (tmp_path / "README.md").write_text(f"{links}\n\n```\n[e](inside-code.md)\n```\n", encoding="utf-8")
    assert broken_links(tmp_path / "README.md") == ["serving.md#load", "gone.md"]


def test_the_readme_is_short_and_names_no_issue_numbers() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    for document in DOCUMENTS:
        assert not re.search(r"\bissues? \d", document.read_text(encoding="utf-8"), re.I), document.name


def test_the_readme_quotes_the_first_run_as_the_benchmark_measured_it() -> None:
    """`python -m benchmarks.first_run --json docs/first-run.json` prints the sentence; the README quotes it."""
    from benchmarks.first_run import summary

    figures = json.loads((ROOT / "docs" / "first-run.json").read_text(encoding="utf-8"))
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert summary(figures) in readme
