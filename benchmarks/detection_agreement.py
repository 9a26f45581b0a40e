"""How closely the PyTorch port of the TensorFlow.js detectors reproduces TensorFlow.js itself.

    python -m benchmarks.detection_agreement

`tools/make_detection_fixture.py` ran the original graphs on TensorFlow.js's CPU backend and wrote their
raw outputs to `assets/eval/tfjs_reference.json`; this runs the port's graph on the very same input (its
sha256 is checked) and prints the largest absolute difference per model and output, over every photo.
The tests assert bounds a few times these figures.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

import pipelines.architectures  # noqa: F401  (quiets transformers, registers the detectors with the Auto classes)
from benchmarks.report import markdown_table, save
from pipelines.provisioning.catalog import find_model
from pipelines.provisioning.provision import model_dir

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = json.loads((ROOT / "assets" / "eval" / "tfjs_reference.json").read_text())
IMAGES = ROOT / "assets" / "images"
PHOTOS = sorted(FIXTURE["models"]["centernet-coco"])
# What each model's raw outputs are, as the README names them.
OUTPUTS = {
    "centernet-coco": ("box corners (512-px units)", "scores and classes"),
    "nanodet-coco": ("class scores", "distance logits"),
}


def differences(model: str, photo: str) -> dict[str, float]:
    """Largest absolute difference between the port and TensorFlow.js, per output, on one photo."""
    import torch
    from PIL import Image
    from transformers import AutoImageProcessor, AutoModelForObjectDetection

    reference = FIXTURE["models"][model][photo]
    folder = model_dir(find_model(model))
    detector = AutoModelForObjectDetection.from_pretrained(folder).eval()
    pixels = AutoImageProcessor.from_pretrained(folder)(Image.open(IMAGES / photo))["pixel_values"][0]
    graph_input = (pixels if detector.config.graph_input_layout == "NCHW" else pixels.transpose(1, 2, 0))[None]
    if hashlib.sha256(graph_input.astype("<f4").tobytes()).hexdigest() != reference["input_sha256"]:
        raise ValueError(f"{photo}: the processor's input differs from the one TensorFlow.js was given")
    with torch.no_grad():
        outputs = detector.graph(
            {detector.config.graph_input: torch.from_numpy(graph_input)}, detector.config.graph_outputs
        )
    first, second = OUTPUTS[model]
    if model == "centernet-coco":
        ours, theirs = outputs[0][0, : len(reference["detections"])].numpy(), np.array(reference["detections"])
        return {first: _largest(ours[:, :4], theirs[:, :4]), second: _largest(ours[:, 4:], theirs[:, 4:])}
    scores = torch.cat([level[0] for level in outputs[:3]])[reference["cells"]].numpy()
    distances = torch.cat([level[0] for level in outputs[3:]])[reference["cells"]].numpy()
    return {first: _largest(scores, reference["scores"]), second: _largest(distances, reference["distances"])}


def _largest(ours: np.ndarray, theirs: object) -> float:
    return float(np.abs(ours - np.asarray(theirs)).max())


def main() -> int:
    rows = []
    for model, names in OUTPUTS.items():
        measured = [differences(model, photo) for photo in PHOTOS]
        rows += [[model, name, f"{max(each[name] for each in measured):.1e}"] for name in names]
    save(
        "detection_agreement.md",
        markdown_table(["model", f"output (over {', '.join(PHOTOS)})", "largest |difference|"], rows),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
