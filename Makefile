# Lotline: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# The suite runs on both cores (pytest-xdist; each worker has its own database).
# One process: make test PYTEST_ARGS="-p no:xdist"
PYTEST_ARGS ?= -n 2
export FLASK_APP := wsgi.py

.PHONY: run test lint format bench security fuzz clean

# The virtualenv is rebuilt only when a requirements file changes (the stamps are newer otherwise).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

run: $(VENV)/.runtime-installed
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty
	@echo ""
	@echo "Lotline is starting on http://127.0.0.1:$(PORT)/"
	@echo "Demo logins (password 'demo'): sales, production, marketing, admin"
	@echo "Alert emails go to instance/mail/*.eml unless MAIL_SERVER is set (Admin > Mail log)."
	@echo "Stop with Ctrl-C (stops the server and the alert worker)."
	@echo ""
	@# The alert worker runs beside the server; the trap stops it when the server stops.
	@$(BIN)/flask alerts worker & WORKER=$$!; \
	trap 'kill $$WORKER 2>/dev/null; wait $$WORKER 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Trace-engine timings on a 1,000,000-lot plant (built once in instance/bench/, then reused),
# the incident PDF report, and alert email throughput/latency (one `flask alerts worker` and a
# local SMTP server, on a fresh database of its own: the BENCH_DATABASE_URL database name +
# "_alerts" on PostgreSQL); PostgreSQL too when BENCH_DATABASE_URL is set. One part only:
# make bench BENCH_ARGS="--only trace|report|alerts|recall|pages|load|audit". Not part of `make test`.
bench: $(VENV)/.dev-installed
	$(BIN)/python -m bench $(BENCH_ARGS)

# Bandit at medium severity and confidence: must report nothing. Its 24 low findings are
# listed with the reason each is not a hole in README.md (Security).
security: $(VENV)/.dev-installed
	$(BIN)/bandit -r app config.py wsgi.py -q --severity-level medium --confidence-level medium

# 10,000 generated submissions to every form and the recall response link (make test runs a
# few per form); counts in instance/fuzz-results.json. PostgreSQL: add TEST_DATABASE_URL=...
FUZZ_EXAMPLES ?= 10000
fuzz: $(VENV)/.dev-installed
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -p no:xdist -q tests/test_fuzz.py -k test_fuzz_form

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check app bench tests config.py wsgi.py

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format app bench tests config.py wsgi.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
