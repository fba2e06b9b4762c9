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

# The digest screenshot test drives Debian's Chromium; as root it is installed here.
CHROMIUM ?= /usr/bin/chromium
BROWSER = $(if $(ROLEWATCH_SKIP_BROWSER),,$(CHROMIUM))

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing chromium for the digest screenshot test"; \
		apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "the digest screenshot test needs Chromium: sudo apt-get install chromium" \
			"(or set ROLEWATCH_SKIP_BROWSER=1 to skip it)"; exit 1; \
	fi

test: $(BIN)/rolewatch $(BROWSER)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
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
