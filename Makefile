# Two entry points for people (see README): `make demo` and `make test`.
# Everything else here is what they stand on.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint format bench bench-all clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

setup: $(STAMP)  ## Create .venv with ecomstream and its pinned dependencies.

demo: setup  ## The main job: the embedded pipeline on the generator, with its live view.
	$(BIN)/ecomstream demo

test: setup  ## Lint, then every test (starts Kafka, PostgreSQL and Chromium as needed).
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check src tests

format: setup
	$(BIN)/ruff check --fix src tests
	$(BIN)/ruff format src tests

bench: setup  ## Full-speed replay of real data vs merely parsing it; prints figures.
	$(BIN)/ecomstream bench

bench-all: bench  ## Every benchmark: profile, dashboard latency, Kafka workers (starts Kafka and PostgreSQL).
	$(BIN)/python benchmarks/bench_profile.py
	$(BIN)/python benchmarks/bench_latency.py
	bus=$$(scripts/kafka-local.sh start | tail -n 1 | cut -d= -f2) && \
	store=$$(scripts/postgres-local.sh start | tail -n 1 | cut -d= -f2-) && \
	$(BIN)/python benchmarks/bench_kafka.py --bus "kafka://$$bus" --store "$$store"

clean:
	rm -rf $(VENV) .cache artifacts .pytest_cache .ruff_cache
