# Two commands for a newcomer: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
AXE := tests/e2e/axe/node_modules/axe-core/axe.min.js
BIN := $(VENV)/bin
PORT ?= 8000
export FLASK_APP := app
PG_TEST_URL ?= postgresql+psycopg://127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres system-deps postgres migrate seed clean help

help:
	@echo "make run   - install, migrate, seed the demo district and serve on 127.0.0.1:$(PORT)"
	@echo "make test  - install test dependencies and run the suite on SQLite and PostgreSQL"
	@echo "make bench-phone - first paint and usable form of four pages on an emulated weak phone link"
	@echo "make test-s3 - the suite with its files in a bucket of moto's S3 server"
	@echo "make soak  - 30-minute soak under gunicorn (bench/soak.py; SOAK_ARGS=\"--minutes 2\")"
	@echo "make audit - pip-audit of the pinned requirements (needs the network)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# axe-core for the accessibility test (tests/e2e/test_accessibility.py), pinned by its package-lock.json.
$(AXE): tests/e2e/axe/package.json tests/e2e/axe/package-lock.json
	npm ci --prefix tests/e2e/axe --no-audit --no-fund --loglevel=error
	touch $@

migrate: $(VENV)/.installed
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask seed-demo

# Web and worker together from the Procfile (honcho); Ctrl-C stops both.
run: seed
	@echo
	@echo "==> 服务地址: http://127.0.0.1:$(PORT)/   (Ctrl-C 停止网页服务和后台任务)"
	@echo
	PATH="$(CURDIR)/$(BIN):$$PATH" PORT=$(PORT) exec $(BIN)/honcho start -f Procfile -p $(PORT)

# Debian packages the tests need: Chromium and a CJK font (browser tests), LibreOffice Calc (the
# export must open without repair prompts), npm (axe-core for the accessibility test).
system-deps:
	@need=""; \
	[ -x /usr/bin/chromium ] || need="$$need chromium"; \
	[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need="$$need fonts-wqy-microhei"; \
	command -v libreoffice >/dev/null || need="$$need libreoffice-calc"; \
	command -v npm >/dev/null || need="$$need npm"; \
	if [ -n "$$need" ]; then \
	  echo "==> installing$$need"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$need >/dev/null; \
	fi

# Start the local PostgreSQL cluster when it is installed but not running.
postgres:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && command -v pg_ctlcluster >/dev/null; then \
	  echo "==> starting PostgreSQL"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start || true; \
	  for i in $$(seq 20); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done; \
	fi

test: $(VENV)/.installed-dev system-deps $(AXE) postgres
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: $(VENV)/.installed-dev $(AXE)
	@echo "==> tests on SQLite"
	$(BIN)/python -m pytest -q -p no:cacheprovider tests

test-postgres: $(VENV)/.installed-dev $(AXE)
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || [ "$$CI" = "true" ]; then \
	  echo "==> tests on PostgreSQL"; \
	  TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -q -p no:cacheprovider -m "not sqlite_only" tests; \
	else \
	  echo "==> PostgreSQL not reachable on 127.0.0.1:5432: PostgreSQL tests skipped (they are required when CI=true)"; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache

.PHONY: bench bench-deps bench-phone
# wrk (Debian) for the throughput part of `make bench`, installed like system-deps installs Chromium.
bench-deps:
	@if ! command -v wrk >/dev/null; then \
	  echo "==> installing wrk"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; \
	fi

# Speed and weight of the fill page on phones (bench/README.md): weight, render, throughput vs the
# bare page (wrk, three runs), autosave. BENCH_ARGS="--skip-wrk" leaves the throughput part out.
bench: $(VENV)/.installed-dev bench-deps
	$(BIN)/python bench/fill_page.py $(BENCH_ARGS)

# Four pages on an emulated weak phone link (1.6 Mbps, 150 ms, CPU 4x slower) in Debian's Chromium,
# against the floor their bytes and round trips impose (bench/README.md); BENCH_ARGS="--runs 5".
bench-phone: $(VENV)/.installed-dev system-deps
	$(BIN)/python bench/phone_speed.py $(BENCH_ARGS)

.PHONY: test-s3 bench-s3
# The suite on SQLite with every file in a bucket of moto's S3 server (not part of `make test`,
# whose files stay on the local disk; tests/test_s3_*.py cover S3 there).
test-s3: $(VENV)/.installed-dev $(AXE)
	@echo "==> tests on SQLite, files on S3 (moto)"
	TEST_STORAGE=s3 $(BIN)/python -m pytest -q -p no:cacheprovider tests

# Memory and time of a 100 MB export written to S3 storage, against the local disk.
bench-s3: $(VENV)/.installed-dev
	$(BIN)/python bench/s3_upload_memory.py $(BENCH_ARGS)

.PHONY: bench-export
# The ledger export at 100,000 problems: styled vs a bare XlsxWriter dump, and memory (bench/README.md);
# BENCH_ARGS="--engine both" adds PostgreSQL, "--runs 1 --problems 20000" is a quick look.
bench-export: $(VENV)/.installed-dev
	$(BIN)/python bench/ledger_export.py $(BENCH_ARGS)

.PHONY: bench-dashboard
# The dashboard for a round of 100,000 problems on SQLite and PostgreSQL (bench/README.md);
# BENCH_ARGS="--engine sqlite" runs one engine.
bench-dashboard: $(VENV)/.installed-dev
	$(BIN)/python bench/dashboard_scale.py $(BENCH_ARGS)

.PHONY: soak audit
# The long reliability runs (bench/README.md): not part of make test. SOAK_ARGS="--minutes 2" for
# a short try; the load and fault scripts in bench/ are run the same way, by hand.
soak: $(VENV)/.installed-dev
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

# Known vulnerabilities in the pinned requirements (pip-audit, installed on demand). It asks the
# PyPI vulnerability service, so it needs the network and is not part of make test.
PIP_AUDIT_VERSION := 2.10.1
audit: $(VENV)/.installed
	@$(BIN)/pip-audit --version 2>/dev/null | grep -q "$(PIP_AUDIT_VERSION)" || \
	  $(BIN)/pip install --quiet "pip-audit==$(PIP_AUDIT_VERSION)"
	$(BIN)/pip-audit --strict --desc -r requirements.txt -r requirements-dev.txt
