# IKM Dekon — the two commands of the README (run, test) and a few helpers.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_ENV := SECRET_KEY=insecure-key-for-tests-only DEBUG=False

.PHONY: run test lint install clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# Quick start: SQLite in the project, demo data, development server.
run: $(STAMP)
	DEBUG=True $(PY) manage.py migrate --no-input
	DEBUG=True $(PY) manage.py seed_demo
	DEBUG=True $(PY) manage.py runserver 127.0.0.1:8000

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# The whole suite: lint, system checks, migrations committed, then pytest.
test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(TEST_ENV) $(PY) manage.py check
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
