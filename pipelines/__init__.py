"""Showroom's engine: Streamlit-free tasks over one cached loader of offline transformers models."""

import os

from pipelines.errors import SettingsError
from pipelines.settings import load_settings

try:
    _hub_allowed = load_settings().allow_hub
except SettingsError:  # offline, the safe side; the sentence comes with the settings' first real use
    _hub_allowed = False
if not _hub_allowed:
    # Offline-first: without this, a model missing from the local cache makes transformers try
    # the hub and hang on a machine with no route to it. Set before transformers is imported.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

# The engine reports its own progress; transformers' per-load bars and fallback notices are noise
# in a dashboard's logs and in the CLI's JSON output.
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
