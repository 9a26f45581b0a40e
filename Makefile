# Two commands for a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed-requirements

.PHONY: run test bench models chromium lint clean

$(INSTALLED): requirements.txt
	$(PYTHON) -m venv $(VENV)
	@echo "Installing requirements.txt into $(VENV) (a few minutes on a fresh machine)"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(INSTALLED)

## Fetch, verify and convert the default models into SHOWROOM_HOME (a no-op when up to date).
models: $(INSTALLED)
	$(PY) -m pipelines models pull

## Debian's Chromium for the end-to-end tests; without root the tests skip and say why.
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the end-to-end tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium is missing and this is not root: the end-to-end tests will be skipped"; fi

run: models
	$(VENV)/bin/streamlit run app.py

lint: $(INSTALLED)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: models chromium lint
	$(PY) -m pytest

bench: models
	$(PY) -m benchmarks.bench_models
	$(PY) -m benchmarks.bench_text_generation
	$(PY) -m benchmarks.bench_translation

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache benchmarks/results
