"""The engine's offline defaults (`pipelines/__init__.py`: no hub, quiet transformers) hold whichever page
a fresh server runs first: huggingface_hub reads HF_HUB_OFFLINE once, when it is first imported, so a
page that imported transformers before anything from `pipelines` left a fresh server trying the hub."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.test_pages import PAGES

_DEFAULTS = ("HF_HUB_OFFLINE", "TRANSFORMERS_VERBOSITY", "HF_HUB_DISABLE_PROGRESS_BARS")
_FIRST_PAGE = """
import json, sys
from streamlit.testing.v1 import AppTest
AppTest.from_file(sys.argv[1], default_timeout=120).run()
import huggingface_hub.constants, transformers
print(json.dumps([huggingface_hub.constants.HF_HUB_OFFLINE, transformers.logging.get_verbosity()]))
"""


@pytest.mark.parametrize("script", ["app.py", *PAGES])
def test_a_fresh_process_that_runs_this_script_first_is_offline_and_quiet(script: str) -> None:
    environment = {key: value for key, value in os.environ.items() if key not in _DEFAULTS}  # as on a fresh server
    environment.pop("SHOWROOM_ALLOW_HUB", None)
    command = [sys.executable, "-c", _FIRST_PAGE, str(ROOT / script)]
    done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    offline, verbosity = json.loads(done.stdout.strip().splitlines()[-1])
    assert offline is True and verbosity == 40  # logging.ERROR
