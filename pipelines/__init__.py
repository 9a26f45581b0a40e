"""Showroom's engine: Streamlit-free tasks over one cached loader of offline transformers models."""

import os

from pipelines.settings import load_settings

if not load_settings().allow_hub:
    # Offline-first: without this, a model missing from the local cache makes transformers try
    # the hub and hang on a machine with no route to it. Set before transformers is imported.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

# The engine reports its own progress; transformers' per-load bars and fallback notices are noise
# in a dashboard's logs and in the CLI's JSON output.
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
