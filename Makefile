# Marketing Review: `make run` serves the app, `make test` runs every check.
# Both create .venv and install the pinned requirements first (only when they changed).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-requirements
PORT ?= 8501

# Test processes: one per core (pytest-xdist); each test file runs whole in one process, so a
# file's shared fixtures (a demo store, an app server) are made once. TEST_WORKERS=0 runs the
# suite in this process alone.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# The tests that run a second time on PostgreSQL when TEST_POSTGRES_URL names a server.
POSTGRES_TESTS := tests/core/store tests/pages tests/test_examples.py tests/test_warehouse.py

.PHONY: help setup run demo test test-postgres lint format clean bench bench-quick bench-pages bench-ingest bench-scenarios

help:
	@echo "make run    set up, seed the demo store on first run, serve http://localhost:$(PORT)"
	@echo "make test   set up, then lint, format check and the whole test suite"
	@echo "            (with TEST_POSTGRES_URL set: store, ingest and page tests again on PostgreSQL)"
	@echo "make test-postgres    those tests on a throwaway PostgreSQL server (Debian's postgresql)"
	@echo "make demo   regenerate the demo store (replaces data/marketing.duckdb)"
	@echo "make bench  every page, the simulator and memory at scale 1, 10, 100 (bench/RESULTS.md), then ingest"
	@echo "make bench-quick      the same at scale 1 only (a few minutes)"
	@echo "make bench-ingest     ingest of 1M-row files against DuckDB and pandas (bench/INGEST.md)"
	@echo "make bench-scenarios  budget scenarios at demo scale 1 and 10 (bench/SCENARIOS.md)"

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; found " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/python -m core demo --if-empty
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT) --server.headless true \
		--server.fileWatcherType none --browser.gatherUsageStats false

demo: setup
	$(BIN)/python -m core demo --replace

# With TEST_POSTGRES_URL the PostgreSQL pass runs beside the DuckDB pass (the two fill each
# other's idle time on the cores); its output is printed when both have ended.
test: setup lint
	@if [ -z "$$TEST_POSTGRES_URL" ]; then \
		echo "TEST_POSTGRES_URL is not set: the PostgreSQL pass is left out (make test-postgres)"; \
		$(PYTEST); \
	else \
		echo "Second engine: the store, ingest and page tests on PostgreSQL, beside this pass"; \
		mkdir -p test-artifacts; \
		( MR_TEST_ENGINE=postgres $(PYTEST) $(POSTGRES_TESTS) > test-artifacts/postgres-pass.log 2>&1; \
			echo $$? > test-artifacts/postgres-pass.status ) & \
		second=$$!; \
		$(PYTEST); duckdb=$$?; \
		wait $$second; postgres=$$(cat test-artifacts/postgres-pass.status); \
		echo "== Second engine (PostgreSQL): test-artifacts/postgres-pass.log"; \
		cat test-artifacts/postgres-pass.log; \
		if [ $$duckdb -ne 0 ]; then exit $$duckdb; fi; exit $$postgres; \
	fi

test-postgres: setup
	@url=$$(.ci/postgres start 54330) && trap '.ci/postgres stop 54330' EXIT && \
		TEST_POSTGRES_URL=$$url MR_TEST_ENGINE=postgres $(PYTEST) $(POSTGRES_TESTS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: bench-pages bench-ingest

bench-pages: setup
	$(BIN)/python -m bench.pages --scales 1 10 100

bench-quick: setup
	$(BIN)/python -m bench.pages --quick

bench-ingest: setup
	$(BIN)/python -m bench.ingest

bench-scenarios: setup
	$(BIN)/python -m bench.scenarios

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts
