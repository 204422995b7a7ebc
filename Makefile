# The two commands of README: `make run` starts the portal, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test venv lint format bench bundle clean

$(STAMP): pyproject.toml
	@test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

## Start web + Celery worker + Celery beat on SQLite and the filesystem broker, with demo data.
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py build_guide
	@echo ""
	@echo "  医疗救助经办门户已启动： http://$(HOST):$(PORT)/"
	@echo "  演示账号 clerk_a / reviewer_a / approver_a / finance_a / admin，密码 demo12345"
	@echo "  按 Ctrl-C 同时停止网站、Celery worker 和 beat。"
	@echo ""
	HOST=$(HOST) PORT=$(PORT) PORTAL_PUBLIC_URL=$${PORTAL_PUBLIC_URL:-http://$(HOST):$(PORT)} $(VENV)/bin/honcho -f Procfile.dev start

## Install everything the tests need, then run the suite on SQLite + filesystem broker,
## and again on PostgreSQL + Redis started on loopback.
test:
	bash scripts/install-system-deps
	bash scripts/install-axe
	$(MAKE) --no-print-directory $(STAMP)
	bash scripts/test-all

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## The offline bundle for a government intranet: wheels of every dependency + install script.
bundle: $(STAMP)
	bash scripts/build-bundle

bench: $(STAMP)
	$(PY) bench/run.py
	$(PY) bench/settle_engine.py
	$(PY) bench/approval.py
	$(PY) bench/intake.py
	$(PY) bench/subsidy_roster.py
	$(PY) bench/onestop.py
	$(PY) bench/platform_import.py
	$(PY) bench/table.py

clean:
	rm -rf var/celery var/*.sqlite3 var/media dist
