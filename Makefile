# The two commands a newcomer runs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
LAKE ?= $(CURDIR)/lake
SCALE ?= small
# Test workers: the suite is mostly single-threaded Python, dbt and Dagster start-up, so
# one worker per core nearly halves it (tests/conftest.py keeps shared fixtures together).
TEST_WORKERS ?= 2
# A lake is a deployment: its Dagster instance lives in $(LAKE)/ops/dagster (the CLI finds
# it there by itself; `make ui` points the UI at it). Never one instance for every lake.
LAKE_HOME = $(abspath $(LAKE))/ops/dagster
export PATH := $(BIN):$(PATH)

.PHONY: install browser demo test test-spark test-fast lint ui bench clean

$(VENV)/.installed: pyproject.toml
	@echo "installing eduhouse and its dependencies into $(VENV) (a few minutes, once) ..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@echo "installed: $$($(BIN)/python -m pip list --format=freeze 2>/dev/null | wc -l) packages in $(VENV)"
	touch $@

install: $(VENV)/.installed

# A lake whose inbox holds deliveries already is not simulated again: a second `make demo`
# runs what is new (nothing) and says where everything is.
demo: install
	@if [ -n "$$(ls -A $(LAKE)/inbox 2>/dev/null)" ]; then \
	  echo "$(LAKE)/inbox holds a simulated district already: not simulated again (make clean, or LAKE=<another folder>, for a new one)"; \
	else $(BIN)/eduhouse simulate --lake $(LAKE) --scale $(SCALE); fi
	$(BIN)/eduhouse run --lake $(LAKE)
	@echo "Runs, assets and checks in the Dagster UI: make ui  (http://127.0.0.1:3000)"
	@echo "District administrator's report: $$(ls $(abspath $(LAKE))/reports/district_admin/*.html | grep -v '/index.html$$' | head -1)"

# The browser tests open the reports in headless Chromium, with a CJK font for the Chinese
# labels: Debian's packages, installed here when missing (as root; else one line says how).
browser:
	@dpkg -s chromium fonts-wqy-microhei >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing Debian's chromium and fonts-wqy-microhei for the browser tests ..."; \
	    apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else \
	    echo "the browser tests need Chromium: sudo apt-get install chromium fonts-wqy-microhei" >&2; exit 1; \
	  fi; }

# Everything but the tests that start a Spark cluster (about 19 minutes on 2 cores);
# `make test-spark` runs those (about 14 more): the Spark build equal to the DuckDB one,
# and landing on the cluster. CI runs both (.ci/run).
test: install browser
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup -m "not spark"

test-spark: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup -m spark

test-fast: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup -m "not e2e and not browser"

lint: install
	$(BIN)/ruff check .

# The venv first on PATH: under `dagster dev`, dagster-dbt prepares the dbt project with the dbt it finds there.
ui: install
	mkdir -p $(LAKE_HOME) && test -f $(LAKE_HOME)/dagster.yaml || cp orchestration/instance/dagster.yaml $(LAKE_HOME)/
	PATH=$(abspath $(BIN)):$$PATH DAGSTER_HOME=$(LAKE_HOME) EDUHOUSE_LAKE=$(abspath $(LAKE)) $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: install
	$(BIN)/python bench/landing.py

clean:
	rm -rf $(LAKE)/* .dagster_home dbt_project/target
