# lcgraph: the README's commands. `make run` sets up and serves the demo; `make test` sets up and
# runs the whole suite (lint, types, import-layer contract, tests).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run load serve test lint typecheck contracts pytest clean vocab bench reliability bench-quick

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first, from the local CPU wheel: otherwise pip pulls gigabytes of CUDA packages.
	$(BIN)/pip install --disable-pip-version-check -q torch==2.13.0
	$(BIN)/pip install --disable-pip-version-check -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

load: install
	$(BIN)/lcgraph load

serve: install
	$(BIN)/lcgraph serve --host $(HOST) --port $(PORT)

run: load serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

contracts: install
	$(BIN)/lint-imports

pytest: install
	$(BIN)/pytest -q

test: lint typecheck contracts pytest

vocab: install
	$(BIN)/python -m ontology.vocab_gen

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

bench: install
	$(BIN)/python -m bench.ingest_throughput --out bench/results/ingest.md
	$(BIN)/python -m bench.encoder_throughput --threads 1 --out bench/results/encoders.md
	$(BIN)/python -m bench.search_latency --out bench/results/search.md
	$(BIN)/python -m bench.graph_suite --search --out bench/results/graph.md

bench-quick: install
	$(BIN)/python -m bench.graph_suite --quick --out bench/results/graph-quick.md

# Hostile input and abuse scenarios; prints scenarios, faults injected, inputs tried, data lost.
reliability: install
	$(BIN)/python -m tests.reliability.report
