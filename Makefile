# The two commands a newcomer needs: `make demo` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test unit integration lint format install clean bench

demo: install ## Local Kafka + worker + sample declarations, alerts on screen; stops all on exit
	$(BIN)/screener demo

test: install ## Unit tests and integration tests against a real local Kafka broker
	$(BIN)/pytest

unit: install
	$(BIN)/pytest tests/unit

integration: install
	$(BIN)/pytest tests/integration

# Prints figures, asserts nothing; about ten minutes. BENCH_ARGS="--count 20000 --profile paced" etc.
bench: install ## Core cost per declaration, then the pipeline against a bare passthrough
	$(BIN)/python -m bench.core_cost
	$(BIN)/python -m bench.pipeline $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check screener tests bench
	$(BIN)/ruff format --check screener tests bench

format: install
	$(BIN)/ruff format screener tests bench
	$(BIN)/ruff check --fix screener tests bench

install: $(VENV)/.installed

# Python packages into a virtualenv, then the Kafka jars from Maven Central (once, cached).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/screener kafka fetch
	touch $@

clean:
	-$(BIN)/screener kafka down
	rm -rf .run .pytest_cache .ruff_cache
