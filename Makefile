# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
OUT    ?= out

.PHONY: demo test lint typecheck unit slow sample-data bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,plot]'
	touch $@ $(STAMP_RUN)

demo: $(STAMP_RUN)
	$(BIN)/sybilgraph analyze sample_data/events.parquet --accounts sample_data/accounts.parquet -o $(OUT) --overwrite
	$(BIN)/sybilgraph evaluate $(OUT) --truth sample_data/truth.csv

lint: $(STAMP_DEV)
	$(BIN)/ruff check sybilgraph tests benchmarks
	$(BIN)/ruff format --check sybilgraph tests benchmarks

typecheck: $(STAMP_DEV)
	$(BIN)/mypy

unit: $(STAMP_DEV)
	$(BIN)/pytest -q

test: lint typecheck unit

slow: $(STAMP_DEV)
	$(BIN)/pytest -q -m slow

sample-data: $(STAMP_RUN)
	$(BIN)/sybilgraph generate --preset sample --seed 7 -o sample_data

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache
