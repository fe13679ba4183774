# Entrepairs — two commands: `make run` and `make test`. Everything else is for maintainers.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Candidates are probed by running them (a pyenv shim may exist and still fail).
PYTHON_CANDIDATES ?= python3.13 python3.12 $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) python3 python
INTEGRATION_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/entrepairs
INTEGRATION_BROKER_URL ?= redis://127.0.0.1:6379/14
# The Open Badges reference validator needs Python 3.11 (probed by running, like PYTHON_CANDIDATES).
VALIDATOR_VENV ?= .validator-venv
VALIDATOR_REQUIREMENTS := tests/integration/obvalidator/requirements.txt
PYTHON311_CANDIDATES ?= python3.11 $(wildcard $(HOME)/.pyenv/versions/3.11*/bin/python3.11) python3
# The OpenID provider the single sign-on tests start (node's oidc-provider, configured like ProConnect).
OIDC_PROVIDER_DIR := tests/oidc_provider

.PHONY: help run test test-integration validator-venv oidc-provider test-e2e lint format check messages lock bench clean worker beat

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

$(VENV)/.installed: pyproject.toml requirements.lock
	@set -e; PYBIN=""; \
	for c in $(PYTHON_CANDIDATES); do \
	  if $$c -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then PYBIN=$$c; break; fi; \
	done; \
	if [ -z "$$PYBIN" ]; then echo "Python >= 3.12 is required (tried: $(PYTHON_CANDIDATES))" >&2; exit 1; fi; \
	if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$PYBIN"; $$PYBIN -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e ".[dev]"
	@touch $@

venv: $(VENV)/.installed

locale/en/LC_MESSAGES/django.mo: locale/en/LC_MESSAGES/django.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile --statistics -D django -d locale

messages-compile: locale/en/LC_MESSAGES/django.mo

# The one public origin of every link, email and badge id (cotraining/origin.py).
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: venv messages-compile ## Install, migrate, load the demo and serve on 127.0.0.1:$(PORT)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: venv messages-compile oidc-provider ## The whole suite on the embedded default (SQLite, eager tasks)
	$(VENV)/bin/pytest -m "not integration" $(PYTEST_ARGS)

test-integration: venv messages-compile validator-venv oidc-provider ## The suite on PostgreSQL + Redis with a real Celery worker
	DATABASE_URL=$(INTEGRATION_DATABASE_URL) CELERY_BROKER_URL=$(INTEGRATION_BROKER_URL) \
	  $(VENV)/bin/pytest -m "not e2e" $(PYTEST_ARGS)

# Cheap when built (a stamp newer than the requirements). Without Python 3.11 it fails under
# CI=true; elsewhere it warns and the conformance test skips.
validator-venv: ## The Open Badges reference validator's own Python 3.11 virtualenv
	@set -e; stamp=$(VALIDATOR_VENV)/.installed; \
	if [ -f $$stamp ] && [ $$stamp -nt $(VALIDATOR_REQUIREMENTS) ] && [ -x $(VALIDATOR_VENV)/bin/python ]; then exit 0; fi; \
	PYBIN=""; \
	for c in $(PYTHON311_CANDIDATES); do \
	  if $$c -c 'import sys, ensurepip, venv; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' >/dev/null 2>&1; then PYBIN=$$c; break; fi; \
	done; \
	if [ -z "$$PYBIN" ]; then \
	  echo "Python 3.11 (with venv) is required for the Open Badges validator (tried: $(PYTHON311_CANDIDATES))" >&2; \
	  if [ "$$CI" = "true" ]; then exit 1; fi; \
	  echo "validator-venv: not built; the Open Badges conformance test will be skipped" >&2; exit 0; \
	fi; \
	echo "Creating $(VALIDATOR_VENV) with $$PYBIN"; rm -rf $(VALIDATOR_VENV); \
	$$PYBIN -m venv $(VALIDATOR_VENV); \
	$(VALIDATOR_VENV)/bin/python -m pip install --quiet --no-deps -r $(VALIDATOR_REQUIREMENTS); \
	$(VALIDATOR_VENV)/bin/python -c 'import openbadges.verifier'; \
	touch $$stamp

# Installed from its lockfile only (npm ci), cheap when done (a stamp newer than the lockfile).
# Without node and npm it fails under CI=true; elsewhere it warns and those tests skip.
oidc-provider: ## The test OpenID provider's npm packages (tests/oidc_provider, npm ci)
	@set -e; stamp=$(OIDC_PROVIDER_DIR)/node_modules/.installed; \
	if [ -f $$stamp ] && [ $$stamp -nt $(OIDC_PROVIDER_DIR)/package-lock.json ]; then exit 0; fi; \
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	  echo "node and npm are required for the single sign-on tests (tests/oidc_provider)" >&2; \
	  if [ "$$CI" = "true" ]; then exit 1; fi; \
	  echo "oidc-provider: not installed; the tests against a real OpenID provider will be skipped" >&2; exit 0; \
	fi; \
	npm ci --prefix $(OIDC_PROVIDER_DIR) --no-audit --no-fund --ignore-scripts; \
	touch $$stamp

lint: venv ## ruff, import layers and cycles, Django checks, missing migrations
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: venv ## Extract strings into the English catalogue (locale/en/LC_MESSAGES/django.po, the source) and fail on any untranslated or fuzzy one (needs GNU gettext)
	$(PY) manage.py makemessages -l en --no-obsolete -i ".venv/*" -i "tests/*" -i "locale/*"
	$(PY) locale/check_po.py

worker: venv ## A Celery worker on every queue (needs CELERY_BROKER_URL)
	$(VENV)/bin/celery -A cms worker -l info -Q celery,awards,mail,imports,indicators

beat: venv ## Celery beat (needs CELERY_BROKER_URL)
	$(VENV)/bin/celery -A cms beat -l info

# `python -m bench [options] [SUITE [suite options]] …` (bench/__main__.py): BENCH_ARGS holds its
# options and, to run some suites only, their names (BENCH_ARGS="enrolment --samples 5"). When it
# names none, every suite runs and ENROLMENT_ARGS, BADGES_ARGS, PIX_IMPORT_ARGS, INDICATORS_ARGS
# are the options of that suite alone (INDICATORS_ARGS="--scale 0.1").
BENCH_SUITES := catalogue enrolment badges indicators pix_import
BENCH_EACH = $(if $(filter $(BENCH_SUITES),$(BENCH_ARGS)),,$(if $(ENROLMENT_ARGS)$(BADGES_ARGS)$(PIX_IMPORT_ARGS)$(INDICATORS_ARGS),catalogue enrolment $(ENROLMENT_ARGS) badges $(BADGES_ARGS) indicators $(INDICATORS_ARGS) pix_import $(PIX_IMPORT_ARGS)))

bench: venv messages-compile ## Measure the catalogue under gunicorn, enrolment, Open Badges, indicators, PIX import (bench/results/*.json, BENCHMARKS.md)
	$(PY) -m bench $(BENCH_ARGS) $(BENCH_EACH)

lock: ## Re-resolve the pinned versions in a scratch environment
	rm -rf .lockenv && python3.13 -m venv .lockenv && .lockenv/bin/pip install --quiet ".[dev]"
	.lockenv/bin/pip freeze --exclude entrepairs | grep -v '^-e' > requirements.lock && rm -rf .lockenv

clean:
	rm -rf $(VENV) .pytest_cache db.sqlite3 media staticfiles
