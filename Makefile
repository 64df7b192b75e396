# Maison commune — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export FLASK_APP := wsgi

.PHONY: run test install install-test translations extract lint format test-sqlite test-postgresql browser-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --quiet pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Compiled catalogues (.mo) are built, not committed.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d translations

# Start the app with demo data on http://127.0.0.1:5000 (SQLite under instance/).
run: install translations
	$(BIN)/flask db upgrade
	$(BIN)/flask demo-if-empty
	FLASK_DEV=1 $(BIN)/flask run --host 127.0.0.1 --port 5000

# Debian's Chromium for the browser tests (Playwright cannot download browsers here).
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; \
	fi

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test-sqlite: install-test translations browser-deps
	$(BIN)/pytest -p no:cacheprovider

# The whole suite again on PostgreSQL; skipped (with the reason) if it does not answer.
test-postgresql: install-test translations browser-deps
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -p no:cacheprovider

# Both suites at once (each has its own files, ports and Redis keys; only the PostgreSQL
# one uses the database "test"): CI stays under 20 minutes. Each line says its suite; the
# last lines repeat the failed tests of each suite, so that the tail of the log names them.
test: lint translations browser-deps
	@set -o pipefail; logs=$$(mktemp -d); \
	( $(BIN)/pytest -p no:cacheprovider -rfE --durations=10 2>&1 | tee $$logs/sqlite.log \
		| sed -u 's/^/[SQLite] /' ) & sqlite=$$!; \
	( TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -p no:cacheprovider -rfE --durations=10 2>&1 \
		| tee $$logs/postgresql.log | sed -u 's/^/[PostgreSQL] /' ) & postgresql=$$!; \
	wait $$sqlite; a=$$?; wait $$postgresql; b=$$?; \
	for suite in sqlite postgresql; do \
		grep -E '^(FAILED|ERROR) ' $$logs/$$suite.log | cut -c1-300 | sed "s/^/make test: $$suite: /"; \
	done; \
	rm -rf $$logs; \
	echo "make test: SQLite exit $$a, PostgreSQL exit $$b"; \
	[ $$a = 0 ] && [ $$b = 0 ]

# Re-extract the strings and update both catalogues (then translate what is new).
extract: install-test
	$(BIN)/pybabel extract -F pyproject.toml -k _l -k lazy_gettext --ignore-dirs ".* .venv" --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete --width 100
	$(BIN)/python scripts/fill_source_catalogue.py translations/fr/LC_MESSAGES/messages.po

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
