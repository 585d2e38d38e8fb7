# Tavoli: `make run` serves the app, `make test` runs the whole test suite.
# Both set up everything they need first (virtual environment, packages,
# translations, database; for tests also Chromium from the system packages).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export TAVOLI_INSTANCE ?= $(CURDIR)/instance
CATALOGS := $(wildcard workshop/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: run test bench setup setup-dev migrate translations update-translations lint vendor lock clean

run: setup migrate ## Serve the app on HOST:PORT (default 0.0.0.0:5000)
	$(BIN)/python wsgi.py

test: setup-dev ## Run the whole test suite, browser and real servers included
	scripts/ensure-system.sh test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: setup-dev ## Load-test a real server under both async modes (BENCH_SCENARIOS=meeting,event-1000 for a subset)
	scripts/ensure-system.sh test
	$(BIN)/python -m bench.run --modes eventlet,gevent

setup: $(VENV)/.run-installed $(COMPILED)

setup-dev: $(VENV)/.dev-installed $(COMPILED)

$(VENV)/bin/python:
	scripts/ensure-system.sh python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-installed

%.mo: %.po | $(VENV)/.run-installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

translations: $(COMPILED) ## Compile the translation catalogs

migrate: setup ## Create or upgrade the database schema
	$(BIN)/flask --app wsgi db upgrade

update-translations: setup ## Re-extract strings and merge them into both catalogs
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --omit-header \
		-o workshop/translations/messages.pot .
	$(BIN)/pybabel update -i workshop/translations/messages.pot -d workshop/translations --no-fuzzy-matching

lint: setup-dev
	$(BIN)/ruff check .

vendor: ## Refresh the vendored front-end libraries from the npm registry
	scripts/vendor.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts $(COMPILED)
