# Hadir — local operations. `make run` and `make test` are all a newcomer needs: each first runs
# .ci/setup, which installs what the machine lacks (or stops and prints the commands to run).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SETUP := PYTHON=$(PYTHON) VENV=$(VENV) .ci/setup

.PHONY: help setup venv run test test-fast secrets up up-tracing down lint lock schemas bench chaos kafka-start kafka-stop clean

help:
	@echo "make run     - start Kafka, the four services (SQLite) and demo data; Ctrl-C stops"
	@echo "make test    - the whole test suite on a real Kafka broker and a real PostgreSQL"
	@echo "make up/down - the suite in Docker (docker compose), with PostgreSQL, Prometheus and Grafana"
	@echo "make up-tracing - the same with an OpenTelemetry collector and Jaeger (:16686)"
	@echo "make lint    - ruff and mypy"
	@echo "make lock    - regenerate requirements.lock (the image's pinned, hashed dependencies) after editing pyproject.toml"
	@echo "make bench   - benchmarks that print figures"
	@echo "make chaos   - fault injection (3 Kafka brokers, kill -9, PostgreSQL restart); one FAULT line per fault"
	@echo "make setup   - only install what make test needs (.ci/setup --check lists what is missing)"

setup:
	@$(SETUP) test

venv:
	@$(SETUP) venv

run:
	@$(SETUP) run
	$(VENV)/bin/hadir run

# Tests run in file order until the whole suite is proven order-independent; shuffle with
# `make test ORDER="-p randomly"` (pytest-randomly prints the seed; replay with --randomly-seed=N).
ORDER ?= -p no:randomly
test: setup
	$(PY) -m pytest -q -rfEs --durations=15 -m "not chaos" $(ORDER)

test-fast: venv
	$(PY) -m pytest -q -m "not infra" tests/contracts tests/policy

# .env: the database passwords, the key of notify's webhook secrets and Grafana's admin password docker
# compose reads, random, mode 0600, never committed (deploy/compose_env.py). Each is written once: an existing
# .env keeps its values and gains only the names it lacks. A *_KEYS value is a Fernet key.
COMPOSE_SECRETS := HADIR_POSTGRES_PASSWORD HADIR_DB_CHECKIN_PASSWORD HADIR_DB_POLICY_PASSWORD HADIR_DB_NOTIFY_PASSWORD \
	HADIR_DB_REPORTING_PASSWORD HADIR_NOTIFY_SECRET_KEYS HADIR_GRAFANA_ADMIN_PASSWORD

secrets:
	@$(PYTHON) deploy/compose_env.py .env $(COMPOSE_SECRETS)

up: secrets
	docker compose up --build -d
	@echo "checkin :8001  policy :8002  notify :8003  reporting :8004  prometheus :9090  grafana :3000"

# The same with the tracing profile: an OpenTelemetry collector and Jaeger; the services export to the collector.
up-tracing: secrets
	OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318 docker compose --profile tracing up --build -d
	@echo "checkin :8001  policy :8002  notify :8003  reporting :8004  prometheus :9090  grafana :3000  jaeger :16686"

down:
	docker compose --profile tracing down -v

lint: venv
	$(VENV)/bin/ruff check services tests bench tools
	$(VENV)/bin/mypy services

# requirements.lock: every runtime dependency of pyproject.toml and the build backend, pinned with hashes
# for Linux and Python 3.11 (the image's); the Dockerfile installs only from it (--require-hashes).
lock: venv
	$(VENV)/bin/uv pip compile pyproject.toml --extra build --generate-hashes --python-version 3.11 \
		--python-platform linux --no-header --quiet -o requirements.lock

schemas: venv
	$(PY) -m services.contracts.jsonschema
	$(PY) -m services.contracts.asyncapi
	$(PY) deploy/k8s/components/monitoring/sync_rules.py

bench: venv
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

chaos: setup
	$(PY) -m tools.chaos

kafka-start:
	@$(SETUP) run
	$(VENV)/bin/hadir kafka start

kafka-stop: venv
	$(VENV)/bin/hadir kafka stop

clean:
	rm -rf var test-artifacts .pytest_cache .ruff_cache .mypy_cache
