# Hadir — local operations. `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help run test test-fast up down lint schemas bench chaos kafka-start kafka-stop clean

help:
	@echo "make run     - start Kafka, the four services (SQLite) and demo data; Ctrl-C stops"
	@echo "make test    - the whole test suite on a real Kafka broker and a real PostgreSQL"
	@echo "make up/down - the suite in Docker (docker compose), with PostgreSQL and Prometheus"
	@echo "make lint    - ruff and mypy"
	@echo "make bench   - benchmarks that print figures"
	@echo "make chaos   - fault injection (3 Kafka brokers, kill -9, PostgreSQL restart); one FAULT line per fault"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/hadir run

test: $(STAMP)
	$(PY) -m pytest -q -rfEs --durations=15 -m "not chaos"

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not infra" tests/contracts tests/policy

up:
	docker compose up --build -d
	@echo "checkin :8001  policy :8002  notify :8003  reporting :8004  prometheus :9090  grafana :3000"

down:
	docker compose down -v

lint: $(STAMP)
	$(VENV)/bin/ruff check services tests bench tools
	$(VENV)/bin/mypy services

schemas: $(STAMP)
	$(PY) -m services.contracts.jsonschema
	$(PY) -m services.contracts.asyncapi
	$(PY) deploy/k8s/components/monitoring/sync_rules.py

bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

chaos: $(STAMP)
	$(PY) -m tools.chaos

kafka-start: $(STAMP)
	$(VENV)/bin/hadir kafka start

kafka-stop: $(STAMP)
	$(VENV)/bin/hadir kafka stop

clean:
	rm -rf var test-artifacts .pytest_cache .ruff_cache .mypy_cache
