# matcloud: two commands do all set-up on a fresh machine.
#   make run   venv, install, front-end libraries, an embedded instance with demo content, serve
#   make test  dev dependencies (and Debian's chromium when missing), ruff, mypy, import-linter, pytest
# The targets are exactly what CI (.ci/run) runs.

PYTHON ?= python3
VENV   ?= .venv
HOST   ?= 127.0.0.1
PORT   ?= 8000
DATA   ?= instance
PYTEST_ARGS ?=
# a person at a terminal reads text logs; production keeps the default JSON lines
LOG_FORMAT ?= text
# links, DOIs and OAI-PMH name the site by this address (set it for a public instance)
BASE_URL ?= http://$(HOST):$(PORT)

BIN    := $(VENV)/bin
VENDOR := src/matcloud/web/static/vendor

.PHONY: run test install dev vendor chromium media-tools lint types imports pytest serve clean

run: install vendor media-tools
	MATCLOUD_DATA_DIR=$(DATA) $(BIN)/matcloud init
	MATCLOUD_DATA_DIR=$(DATA) MATCLOUD_BASE_URL=$(BASE_URL) $(BIN)/matcloud demo
	MATCLOUD_DATA_DIR=$(DATA) MATCLOUD_BASE_URL=$(BASE_URL) MATCLOUD_LOG_FORMAT=$(LOG_FORMAT) \
		$(BIN)/matcloud serve --host $(HOST) --port $(PORT)

test: dev vendor chromium media-tools aiida-fixtures lint types imports pytest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
dev: $(VENV)/.dev-installed

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; } || \
		{ echo "npm is needed for the front-end libraries: install Node.js and npm"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR)/.stamp: node_modules/.package-lock.json web/plotly-scattergl.js
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/weas
	cp node_modules/weas/dist/index.mjs node_modules/weas/dist/style.css $(VENDOR)/weas/
	cp node_modules/plotly.js-dist-min/plotly.min.js $(VENDOR)/
	cp node_modules/cytoscape/dist/cytoscape.min.js $(VENDOR)/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	node web/plotly-scattergl.js $(VENDOR)/plotly-scattergl.min.js
	touch $@

vendor: $(VENDOR)/.stamp

# Browser tests drive Debian's chromium; install it when missing and we may (root).
chromium:
	@if ! command -v chromium >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else echo "chromium is missing: browser tests will be skipped (sudo apt-get install chromium)"; fi; \
	fi

# LEARN probes and samples videos with ffmpeg and renders slides with poppler-utils (Debian's);
# install them when missing and we may (root). Without them, lectures cannot be added.
media-tools:
	@if ! command -v ffmpeg >/dev/null || ! command -v pdftoppm >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg poppler-utils; \
		else echo "ffmpeg/poppler-utils are missing: LEARN cannot add lectures (sudo apt-get install ffmpeg poppler-utils)"; fi; \
	fi

lint:
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

types:
	$(BIN)/mypy

imports:
	$(BIN)/lint-imports

pytest:
	$(BIN)/pytest $(PYTEST_ARGS)

serve:
	MATCLOUD_DATA_DIR=$(DATA) MATCLOUD_BASE_URL=$(BASE_URL) MATCLOUD_LOG_FORMAT=$(LOG_FORMAT) \
		$(BIN)/matcloud serve --host $(HOST) --port $(PORT)

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache .mypy_cache .ruff_cache

# Real AiiDA archives for the EXPLORE tests, written by real aiida-core in its own venv (its pins
# may clash with the project's). `make aiida-fixtures` builds .venv-aiida once, then re-runs the
# script only when it (or the requirements) changed. See tests/fixtures/README.md.
VENV_AIIDA     ?= .venv-aiida
AIIDA_FIXTURES ?= tests/fixtures/aiida
AIIDA_REQS     := tests/fixtures/aiida-requirements.txt
AIIDA_SCRIPT   := tests/fixtures/make_aiida_archives.py

.PHONY: aiida-venv aiida-fixtures

$(VENV_AIIDA)/.installed: $(AIIDA_REQS)
	$(PYTHON) -m venv $(VENV_AIIDA)
	$(VENV_AIIDA)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_AIIDA)/bin/python -m pip install --quiet -r $(AIIDA_REQS)
	touch $@

aiida-venv: $(VENV_AIIDA)/.installed

# written into a sibling folder first, so a failed run leaves no half set of archives
$(AIIDA_FIXTURES)/.stamp: $(AIIDA_SCRIPT) $(AIIDA_REQS) | $(VENV_AIIDA)/.installed
	rm -rf $(AIIDA_FIXTURES).tmp
	$(VENV_AIIDA)/bin/python $(AIIDA_SCRIPT) $(AIIDA_FIXTURES).tmp
	rm -rf $(AIIDA_FIXTURES) && mv $(AIIDA_FIXTURES).tmp $(AIIDA_FIXTURES)
	touch $@

aiida-fixtures: $(AIIDA_FIXTURES)/.stamp

# The reference OPTIMADE server for bench/optimade_vs_reference.py (optimade-python-tools' own, mongomock
# backend) in its own venv: the `server` extra's pins (FastAPI, pymongo, mongomock) may clash
# with the project's. `make optimade-venv` builds .venv-optimade once.
VENV_OPTIMADE ?= .venv-optimade
OPTIMADE_REQS := bench/optimade-requirements.txt

.PHONY: optimade-venv

$(VENV_OPTIMADE)/.installed: $(OPTIMADE_REQS)
	$(PYTHON) -m venv $(VENV_OPTIMADE)
	$(VENV_OPTIMADE)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_OPTIMADE)/bin/python -m pip install --quiet -r $(OPTIMADE_REQS)
	touch $@

optimade-venv: $(VENV_OPTIMADE)/.installed

# The built-in phonon examples (src/matcloud/work/data/phonons) and their test oracles
# (tests/work/data/phonons), computed for real with Debian's Quantum ESPRESSO and with phonopy
# in its own venv. Not part of run/test: the outputs are committed. `make phonon-examples`
# installs quantum-espresso(-data) when pw.x is missing and we may (root), builds .venv-phonopy
# once, and recomputes everything (about 10 minutes on 2 cores; pw.x and ph.x under mpirun -np 2,
# PHONON_ARGS=--np 1 for serial runs).
VENV_PHONOPY  ?= .venv-phonopy
PHONOPY_REQS  := scripts/phonopy-requirements.txt
PHONON_SCRIPT := scripts/phonon_examples.py
PHONON_ARGS   ?=

.PHONY: phonopy-venv quantum-espresso phonon-examples

$(VENV_PHONOPY)/.installed: $(PHONOPY_REQS)
	$(PYTHON) -m venv $(VENV_PHONOPY)
	$(VENV_PHONOPY)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_PHONOPY)/bin/python -m pip install --quiet -r $(PHONOPY_REQS)
	touch $@

phonopy-venv: $(VENV_PHONOPY)/.installed

quantum-espresso:
	@if ! command -v pw.x >/dev/null || [ ! -r /usr/share/espresso/pseudo/Si.pz-vbc.UPF ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				quantum-espresso quantum-espresso-data; \
		else echo "Quantum ESPRESSO is missing: sudo apt-get install quantum-espresso quantum-espresso-data"; \
			exit 1; fi; \
	fi

phonon-examples: quantum-espresso $(VENV_PHONOPY)/.installed
	OMP_NUM_THREADS=1 PYTHONUTF8=1 $(VENV_PHONOPY)/bin/python $(PHONON_SCRIPT) $(PHONON_ARGS)

# The DISCOVER demo section of materials ID cards: real pw.x/ph.x runs driven by AiiDA (in
# .venv-aiida, with SeeK-path added), written to src/matcloud/discover/data/demo-idcards.aiida
# and its README. Not part of run/test: the outputs are committed (a few minutes on 2 cores).
IDCARDS_SCRIPT := scripts/demo_idcards.py
IDCARDS_REQS   := scripts/idcards-requirements.txt

.PHONY: demo-idcards

$(VENV_AIIDA)/.idcards-installed: $(IDCARDS_REQS) | $(VENV_AIIDA)/.installed
	$(VENV_AIIDA)/bin/python -m pip install --quiet -r $(IDCARDS_REQS)
	touch $@

demo-idcards: quantum-espresso $(VENV_AIIDA)/.idcards-installed
	OMP_NUM_THREADS=1 PYTHONUTF8=1 $(VENV_AIIDA)/bin/python $(IDCARDS_SCRIPT)
