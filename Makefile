# `make demo` and `make test` each create the virtual environment they need.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/rolewatch: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/rolewatch
	$(BIN)/rolewatch demo

test: $(BIN)/rolewatch
	$(BIN)/ruff check .
	$(BIN)/mypy config crawler pipeline notifier rolewatch
	$(BIN)/python -m pytest

lint: $(BIN)/rolewatch
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy config crawler pipeline notifier rolewatch

bench: $(BIN)/rolewatch
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) rolewatch-demo
