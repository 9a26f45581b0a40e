"""axe-core, Deque's accessibility engine, from the npm registry (pinned, hash-checked like every package the
project fetches), run inside a Playwright page: the serious and critical WCAG 2 A/AA violations it finds."""

from __future__ import annotations

import functools

from pipelines.provisioning.catalog import Package, PackageFile
from pipelines.provisioning.fetch import extract_files, fetch_package
from pipelines.settings import load_settings

AXE = Package(
    registry="npm",
    name="axe-core",
    version="4.10.3",
    archive_sha256="0f2b4d7dcdf7d1219df8d1959ad68e565f51d14c3f0d88bb71cd59abeb956292",
    files=(PackageFile("package/axe.min.js", "880970c081707360e64f34cea25ff91892f5bc95675b0776925b9709dd8a68bb"),),
)
BLOCKING = ("serious", "critical")
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}


@functools.cache
def axe_script() -> str:
    downloads = load_settings().downloads_dir
    archive = fetch_package(AXE, downloads, lambda line: None)
    files = extract_files(AXE, archive, downloads / "axe-core", lambda line: None)
    return files["package/axe.min.js"].read_text(encoding="utf-8")


def violations(page: object) -> list[str]:
    """One line per serious or critical violation on the page as it is now: the rule, and where."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_script())
    found = page.evaluate("options => axe.run(document, options).then(result => result.violations)", RULES)
    return [
        f"{violation['id']} ({violation['impact']}): {node['target']} {node.get('failureSummary', '')[:160]!r}"
        for violation in found
        if violation["impact"] in BLOCKING
        for node in violation["nodes"]
    ]
