# Redline: `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
REDLINE := $(VENV)/bin/redline
export REDLINE_VAR_DIR ?= $(CURDIR)/var
# Test processes: one per core by default (`make test PYTEST_WORKERS=0` runs in one process).
PYTEST_WORKERS ?= auto

.PHONY: run test install install-dev frontend translations messages lint test-deps benchmark lock audit

$(PY):
	@set -e; py=$$(scripts/find-python); echo "Using $$py"; $$py -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Python packages at the versions (and hashes) of the lock files, as npm ci does for the front
# end; `make lock` writes them again from pyproject.toml.
$(VENV)/.installed: $(PY) pyproject.toml requirements/base.lock
	$(PY) -m pip install --quiet --require-hashes -r requirements/base.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml requirements/dev.lock
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

LOCK := $(VENV)/bin/pip-compile --quiet --strip-extras --generate-hashes --no-emit-index-url \
	--no-emit-find-links --allow-unsafe
lock: $(PY)
	$(PY) -m pip install --quiet pip-tools
	$(LOCK) --output-file requirements/base.lock pyproject.toml
	$(LOCK) --extra dev --output-file requirements/dev.lock pyproject.toml

# Known vulnerabilities in the locked Python packages and the npm ones (needs PyPI's and npm's
# advisory services; see docs/operations.md for the exceptions).
audit: $(VENV)/.installed-dev
	$(PY) -m pip install --quiet pip-audit
	$(VENV)/bin/pip-audit --strict --require-hashes -r requirements/dev.lock
	npm audit --omit=dev

install: $(VENV)/.installed frontend translations

install-dev: $(VENV)/.installed-dev frontend translations

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

frontend: node_modules/.package-lock.json

translations: $(VENV)/.installed
	REDLINE_DEMO=1 $(REDLINE) compiletranslations

# Serve the demo city on http://127.0.0.1:8000 (embedded SQLite under var/).
run: install
	@mkdir -p $(REDLINE_VAR_DIR)
	REDLINE_DEMO=1 $(REDLINE) migrate --no-input
	REDLINE_DEMO=1 $(REDLINE) demo --if-empty
	REDLINE_DEMO=1 $(REDLINE) collectstatic --no-input --verbosity 0
	@REDLINE_DEMO=1 $(REDLINE) demo --print-logins
	REDLINE_DEMO=1 $(REDLINE) serve

# Browser tests drive Debian's Chromium; the catalog test extracts strings with gettext; PDF
# exports (WeasyPrint) set text with Pango and Noto CJK; the detection engine's tests compare
# with R 'surveillance' (Debian's r-cran-surveillance, 1.20.3 on bookworm). Install them with
# apt when missing.
test-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 || missing="$$missing fonts-noto-cjk"; \
	ldconfig -p | grep -q libpangoft2-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	command -v xgettext >/dev/null || missing="$$missing gettext"; \
	Rscript -e 'quit(status = !requireNamespace("surveillance", quietly = TRUE))' >/dev/null 2>&1 \
	  || missing="$$missing r-cran-surveillance"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing with apt:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# Re-extract the translatable strings into both catalogs (then translate the new zh-Hans ones).
messages: $(VENV)/.installed-dev
	REDLINE_DEMO=1 $(REDLINE) makemessages -l zh_Hans -l en --no-location --ignore ".venv/*" \
	  --ignore "node_modules/*" --ignore "benchmarks/*" --ignore "*/tests/*"
	$(PY) scripts/fill_en_catalog.py

# mypy's django-stubs plugin loads the settings: the demo's need no secret from outside.
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	REDLINE_DEMO=1 $(VENV)/bin/mypy

test: install-dev test-deps lint
	REDLINE_DEMO=1 $(REDLINE) makemigrations --check --dry-run
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist load --durations=30 $(PYTEST_ARGS)

benchmark: install
	$(PY) benchmarks/enterprise_list.py
