# lcgraph: the README's commands. `make run` sets up and serves the demo; `make test` sets up and
# runs the whole suite (lint, types, import-layer contract, tests).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install vendor run load serve test lint typecheck contracts pytest clean vocab bench reliability bench-quick

VENDOR := api/web/static/vendor
# The browser libraries the web UI serves itself (nothing is loaded from elsewhere at run time).
VENDOR_FILES := web/node_modules/cytoscape/dist/cytoscape.min.js \
	web/node_modules/codemirror/lib/codemirror.js \
	web/node_modules/codemirror/lib/codemirror.css \
	web/node_modules/codemirror/mode/sparql/sparql.js \
	web/node_modules/axe-core/axe.min.js \
	web/node_modules/swagger-ui-dist/swagger-ui-bundle.js \
	web/node_modules/swagger-ui-dist/swagger-ui.css

$(STAMP): pyproject.toml web/package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# Debian's chromium for the browser tests (tests/web drive it through playwright; never `playwright install`).
	test -x /usr/bin/chromium || (apt-get update -q && apt-get install -y -q chromium)
	# torch first, from the local CPU wheel: otherwise pip pulls gigabytes of CUDA packages.
	$(BIN)/pip install --disable-pip-version-check -q torch==2.13.0
	$(BIN)/pip install --disable-pip-version-check -q -e '.[dev]'
	$(MAKE) vendor
	touch $(STAMP)

install: $(STAMP)

# Pinned browser libraries (web/package-lock.json) copied into the static folder the server serves.
vendor:
	# --ignore-scripts: only files are copied; no install script (e.g. swagger-ui-dist's @scarf/scarf telemetry) runs.
	npm ci --prefix web --no-audit --no-fund --ignore-scripts --loglevel=error
	mkdir -p $(VENDOR)
	cp $(VENDOR_FILES) $(VENDOR)/

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
	# the browser tests must run, not skip, under make test
	LCGRAPH_REQUIRE_BROWSER=1 $(BIN)/pytest -q --durations=25

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
