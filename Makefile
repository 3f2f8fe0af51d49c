# Two commands on a fresh machine: `make run` and `make test`. Each makes .venv if missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench bench-daemon bench-postgres clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The main job: import the seeds and the topic's feeds on first start, fetch, open the reader.
run: $(STAMP)
	$(BIN)/reader start

lint: $(STAMP)
	$(BIN)/ruff check reader tests bench
	$(BIN)/ruff format --check reader tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) lint typecheck
	$(BIN)/pytest

# Benchmarks print figures (they are not tests); the daemon soak runs on its own: bench-daemon.
bench: $(STAMP)
	$(BIN)/python -m bench.fetch_bench --feeds 500 --items 50 --latency 50 --rounds 3
	$(BIN)/python -m bench.parse_bench
	$(BIN)/python -m bench.tui_bench
	$(BIN)/python -m bench.topic_quality
	$(BIN)/python -m bench.article_bench

bench-daemon: $(STAMP)
	$(BIN)/python -m bench.daemon_bench --duration 600

# Several daemons on one PostgreSQL database, and PostgreSQL against SQLite (docs/scale-out.md).
bench-postgres: $(STAMP)
	$(BIN)/python -m bench.pg_fleet --feeds 10000 --items 10 --hosts 25 --daemons 1 2 4
	$(BIN)/python -m bench.pg_fleet --feeds 10000 --items 10 --hosts 25 --kill
	$(BIN)/python -m bench.pg_compare --rounds 3
	$(BIN)/python -m bench.pg_topic_bench --sizes 1000,10000,100000

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
