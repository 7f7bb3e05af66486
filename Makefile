# Hailuo Studio. `make run` starts the studio, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# A Python 3.12+ from PATH or pyenv's versions folder (this machine's python3 is 3.11).
PYTHON ?= $(shell for p in python3.13 python3.12 python3 \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python 2>/dev/null | sort -rV); do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { command -v $$p; break; }; done)

.PHONY: run test lint format bench install system-packages clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "No Python 3.12 or newer found (looked on PATH and in ~/.pyenv/versions)."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

install: $(STAMP)

# Debian's chromium drives the browser tests (Playwright never downloads a browser here).
system-packages:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }

# The web server, the task cluster and (without an Apiframe key) the simulator, in the foreground.
# honcho overwrites PORT in each process, so the web server reads STUDIO_PORT.
run: $(STAMP)
	@$(PY) manage.py prepare_studio
	@export STUDIO_PORT=$${PORT:-8000}; \
	 if [ -n "$$APIFRAME_API_KEY" ]; then procs="web tasks"; else procs="web tasks simulator"; fi; \
	 exec $(VENV)/bin/honcho --no-colour start $$procs

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: $(STAMP) system-packages lint
	$(VENV)/bin/pytest

bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { echo "Installing Debian's wrk for the throughput benchmark..."; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || echo "No wrk: the throughput benchmark uses its Python load generator."; $(PY) manage.py run_benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
