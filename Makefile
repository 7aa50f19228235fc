# The two commands a newcomer runs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
LAKE ?= $(CURDIR)/lake
SCALE ?= small
export DAGSTER_HOME := $(CURDIR)/.dagster_home
export PATH := $(BIN):$(PATH)

.PHONY: install demo test test-fast lint ui bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(DAGSTER_HOME)/dagster.yaml: orchestration/instance/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp $< $@

install: $(VENV)/.installed $(DAGSTER_HOME)/dagster.yaml

demo: install
	$(BIN)/eduhouse simulate --lake $(LAKE) --scale $(SCALE)
	$(BIN)/eduhouse run --lake $(LAKE)
	@echo "Runs, assets and checks in the Dagster UI: make ui  (http://127.0.0.1:3000)"

test: install
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not e2e and not browser"

lint: install
	$(BIN)/ruff check .

ui: install
	EDUHOUSE_LAKE=$(LAKE) $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: install
	$(BIN)/python bench/landing.py

clean:
	rm -rf $(LAKE)/* $(DAGSTER_HOME) dbt_project/target
