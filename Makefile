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

.PHONY: run test test-fast test-sqlite test-postgres load-test lint format bench install system-packages clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "No Python 3.12 or newer found (looked on PATH and in ~/.pyenv/versions)."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[simulator,dev]'
	@touch $@

install: $(STAMP)

# Debian's chromium drives the browser tests (Playwright never downloads a browser here).
system-packages:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }

# The web server, the task cluster and (without an Apiframe key) the simulator, in the foreground.
# honcho overwrites PORT in each process, so the web server reads STUDIO_PORT.
# Ctrl-C: on a terminal honcho runs as the foreground job (set -m), so the Ctrl-C reaches it and
# not make, which would end by the signal itself ("Error 130"). honcho stops every process and
# answers 130, its word for "stopped by Ctrl-C": a clean stop, so make answers 0.
run: $(STAMP)
	@$(PY) manage.py prepare_studio
	@export STUDIO_PORT=$${PORT:-8000}; \
	 if [ -n "$$APIFRAME_API_KEY" ]; then procs="web tasks"; else procs="web tasks simulator"; fi; \
	 if $(PY) -c 'import os; os._exit(os.tcgetpgrp(0) != os.getpgrp())' 2>/dev/null; then set -m; fi; \
	 $(VENV)/bin/honcho --no-colour start $$procs; status=$$?; \
	 if [ $$status = 130 ]; then echo "Hailuo Studio stopped; every clip and account is kept. 'make run' starts it again."; exit 0; fi; \
	 exit $$status

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy generations hailuo_site apiframe_simulator tooling

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# `make test`: lint, the whole suite on SQLite, then on PostgreSQL when a server answers at
# POSTGRES_TEST_URL (pytest-django creates and drops test_<name> there) the tests that depend on
# the database's behaviour (marked both_databases in tests/conftest.py: locks, claims,
# transactions, queries). The Redis broker tests use REDIS_TEST_URL. Under CI=true a missing
# PostgreSQL or Redis fails the run; elsewhere it is skipped, and says so. Tests run in parallel
# (pytest-xdist): most of the suite waits on the simulator, trackers and processes, so more
# workers than cores pays.
POSTGRES_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
REDIS_TEST_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/0)
# The suite picks its databases and broker itself: a developer's own must not leak in.
SUITE_ENV := env -u DATABASE_URL -u REDIS_URL TEST_REDIS_URL=$(REDIS_TEST_URL)
PYTEST := $(SUITE_ENV) $(VENV)/bin/pytest
TEST_WORKERS ?= 4
# A test file is one unit of work: its module-scoped studio (processes, a browser) starts once,
# not once per worker that happens to take one of its tests.
TEST_DIST ?= loadscope

# The two passes run side by side: both mostly wait on processes, the simulator and timers, so
# together they take little longer than the longer one alone. Each pass's output is shown whole
# when it ends.
test: $(STAMP) system-packages lint
	@$(MAKE) --no-print-directory -j2 --output-sync=recurse test-sqlite test-postgres SIDE_BY_SIDE=1

# Side by side, what does not depend on the database (marked beside_postgres in tests/conftest.py)
# runs in the PostgreSQL pass, to even the two out; alone, each pass runs all of its own.
ifeq ($(SIDE_BY_SIDE),1)
SQLITE_MARKS := not beside_postgres
POSTGRES_MARKS := (both_databases and not browser) or beside_postgres
else
SQLITE_MARKS :=
POSTGRES_MARKS := both_databases and not browser
endif

test-sqlite: $(STAMP) system-packages
	$(PYTEST) -n $(TEST_WORKERS) --dist $(TEST_DIST) --durations=15 -m "$(SQLITE_MARKS)"

# The inner loop: unit and view tests, no browser and no whole processes.
test-fast: $(STAMP)
	$(PYTEST) -n $(TEST_WORKERS) -m "not slow and not browser" -q

test-postgres: $(STAMP)
	@if $(PY) -m tests.services postgres "$(POSTGRES_TEST_URL)"; then \
	  echo "The tests that depend on the database, again on PostgreSQL ($(POSTGRES_TEST_URL)):"; \
	  $(SUITE_ENV) DATABASE_URL="$(POSTGRES_TEST_URL)" $(VENV)/bin/pytest -n $(TEST_WORKERS) --dist $(TEST_DIST) \
	    -p no:cacheprovider --durations=15 -m "$(POSTGRES_MARKS)"; \
	elif [ "$$CI" = true ]; then \
	  echo "CI needs PostgreSQL at $(POSTGRES_TEST_URL)."; exit 1; \
	else \
	  echo "Skipping the PostgreSQL run: nothing answers at $(POSTGRES_TEST_URL) (set POSTGRES_TEST_URL)."; \
	  if [ "$(SIDE_BY_SIDE)" = 1 ]; then $(PYTEST) -n $(TEST_WORKERS) -p no:cacheprovider -m beside_postgres; fi; \
	fi

# Twenty members for a minute against gunicorn, the cluster and SQLite; figures to docs/load-test.md.
load-test: $(STAMP)
	STUDIO_REPORT_DIR=docs LOAD_TEST_SECONDS=60 $(PYTEST) tests/test_load.py -p no:cacheprovider

bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { echo "Installing Debian's wrk for the throughput benchmark..."; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || echo "No wrk: the throughput benchmark uses its Python load generator."; $(PY) manage.py run_benchmarks --settings=tooling.benchmarks.bench_settings $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
