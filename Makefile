# Two commands on a fresh machine (README "Quick start"):
#   make run    install into .venv and start the server on SQLite with the in-process broker
#   make test   install into .venv and run lint, type checks, layering contracts and the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/tourmaline serve

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/lint-imports --no-cache

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest -n 2 --dist loadfile

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

# Browser tests (tests/ui) drive the distribution's Chromium, never a downloaded browser build.
# Installed through apt when missing (as root, or with sudo); without it those tests are skipped
# and say why.
CHROMIUM ?= /usr/bin/chromium
.PHONY: browser
browser:
	@if [ -x "$(CHROMIUM)" ]; then \
	  echo "browser: $(CHROMIUM) present"; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
	  echo "browser: no $(CHROMIUM) and no apt-get; the browser tests will be skipped"; \
	else \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  echo "browser: installing chromium with apt-get"; \
	  APT="env DEBIAN_FRONTEND=noninteractive apt-get -y -q"; \
	  $$SUDO $$APT install --no-install-recommends chromium \
	  || { $$SUDO $$APT update && $$SUDO $$APT install --no-install-recommends chromium; } \
	  || echo "browser: chromium could not be installed; the browser tests will be skipped"; \
	fi

pytest: browser
