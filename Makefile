# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
OUT    ?= out

.PHONY: demo test lint typecheck unit slow sample-data bench clean browser docs

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

# The report test opens report.html in Debian's Chromium; install it where we can (root with
# apt-get), otherwise that one test is skipped unless SYBILGRAPH_REQUIRE_BROWSER is set.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium for the report test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not installed: the browser test will be skipped"; fi; }

test: lint typecheck browser unit

slow: $(STAMP_DEV)
	$(BIN)/pytest -q -m slow

sample-data: $(STAMP_RUN)
	$(BIN)/sybilgraph generate --preset sample --seed 7 -o sample_data

# Benchmarks run on demand, not in CI: analyze against the floor (PRESET=medium by default;
# PRESET=article for the article's scale and the networkx comparison on its 1/50 sample, about
# 16 minutes once the scenario is cached; RUNS=1 about 10).
PRESET ?= medium
RUNS ?= 3
bench: $(STAMP_RUN)
	$(BIN)/python benchmarks/run.py --preset $(PRESET) --runs $(RUNS)

docs: $(STAMP_RUN)
	$(BIN)/python -m sybilgraph.cli.reference docs

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache
