# ekkyo — the two commands of the README: `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
STUDENTS ?= 10000
# One test process per core (pytest-xdist); PYTEST_ARGS="-n 0" runs in one.
PYTEST_ARGS ?= -n auto

.PHONY: demo test install check lint typecheck unit browser messages clean seed

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PY) not found)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/ekkyo migrate --noinput
	$(BIN)/ekkyo seed-demo --students $(STUDENTS) --if-empty
	$(BIN)/ekkyo demo-accounts --base-url http://$(HOST):$(PORT)
	@# The background-job worker runs beside the web server and stops with it.
	$(BIN)/ekkyo worker & W=$$!; trap 'kill $$W 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/ekkyo runserver $(HOST):$(PORT)

seed: install
	$(BIN)/ekkyo migrate --noinput
	$(BIN)/ekkyo seed-demo --students $(STUDENTS) --reset

# Every test: lint, format, types, migrations, catalogues, unit/integration and browser tests.
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy ekkyo
	EKKYO_ENV=test $(BIN)/ekkyo makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy ekkyo

# Re-extract translatable strings after changing pages or messages (needs GNU gettext).
messages: install
	$(BIN)/ekkyo makemessages -l ja -l en --no-obsolete --no-location -i tests -i bench -i var -i docs
	$(BIN)/python -m ekkyo.i18n_tools compile

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
