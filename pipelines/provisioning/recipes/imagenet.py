"""Pieces shared by the ImageNet classifiers' recipes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from pipelines.provisioning.catalog import IMAGENET_LABELS

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
_LONGEST_LABEL = 32


def imagenet_labels(sources: dict[str, Path]) -> dict[int, str]:
    """The 1,000 ImageNet class names, unique and short, in class-index order.

    The curated names read best ("tabby cat", "espresso"), but a few are duplicated ("missile"
    twice) or a sentence long; those fall back to WordNet's first synonym ("tiger cat").
    """
    clean_file, wordnet_file = (sources[file.path] for file in IMAGENET_LABELS.files)
    clean = json.loads(clean_file.read_text(encoding="utf-8"))
    wordnet = json.loads(wordnet_file.read_text(encoding="utf-8"))
    counts = Counter(clean)
    labels = {}
    for index, name in enumerate(clean):
        awkward = counts[name] > 1 or len(name) > _LONGEST_LABEL or name.startswith("a ")
        labels[index] = wordnet[str(index)].split(", ")[0] if awkward else name
    if len(labels) != 1000 or len(set(labels.values())) != 1000:
        raise ValueError("the ImageNet label files do not give 1000 distinct class names")
    return labels


def load_state_dict(path: Path) -> dict:
    """Load a plain tensor checkpoint without running any pickled code."""
    import torch

    return torch.load(path, map_location="cpu", weights_only=True)
