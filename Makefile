# The single entry point. `make demo` runs the bot, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | sha256sum | cut -c1-12)

# Embedded defaults for one machine; override any of them in the environment.
export ACTION_ENDPOINT_URL ?= http://127.0.0.1:5055/webhook
export TRACKER_DB ?= $(CURDIR)/.rasa/tracker.db
export DRAFTS_DIR ?= $(CURDIR)/drafts
export RASA_PORT ?= 5005
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL ?= 3
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: help setup browser-deps train serve shell chat demo test lint bench spacy-pipeline teams-package lock purge check clean \
	eval-questions eval-seeds eval-form eval-steering check-faq sync-faq kansli kansli-user

help:
	@echo "make demo    – installera, träna vid behov och starta boten (terminal + HTTP)"
	@echo "make test    – installera, träna vid behov och kör hela testsviten"
	@echo "make setup | train | serve | shell | chat | lint | bench | spacy-pipeline | teams-package | purge | lock"
	@echo "make eval-questions – svaren på frågesetet; make eval-seeds – samma över fem omtränade modeller; make eval-form – formulärets läsning; make eval-steering – styrord"
	@echo "make check   – kontrollera kunskapsbasen, domänen och NLU-datan (fil och rad för varje fel)"
	@echo "make kansli  – starta kansliets arbetsyta ensam (http://localhost:5080); make kansli-user skapar ett konto"

$(STAMP): requirements.txt pyproject.toml
	@echo "== Skapar Python 3.10-miljön i $(VENV) och installerar låsta beroenden"
	@test -x $(PY) || "$$(scripts/find_python310.sh)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==24.0"
	$(PY) -m pip install --progress-bar on -r requirements.txt
	@# The project itself, so spaCy finds our pipeline component through its entry point.
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: $(STAMP)

# Browser tests of the web widget: Debian's Chromium and axe-core (npm, package-lock.json).
browser-deps:
	@if command -v npm >/dev/null; then \
		[ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; \
	else echo "npm saknas: axe-core-kontrollen hoppas över"; fi
	@if ! command -v chromium >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then echo "== Installerar Debians chromium för webbläsartesterna"; \
			apt-get update -qq && apt-get install -y -qq chromium; \
		else echo "chromium saknas (installera Debians chromium): webbläsartesterna hoppas över"; fi; \
	fi

train: setup
	$(PY) scripts/rasa_model.py train

serve: train
	scripts/bot.sh serve

shell: train
	scripts/bot.sh start
	$(PY) scripts/chat.py; scripts/bot.sh stop

demo: train
	@echo ""
	@echo "Boten startar. Chatta så här:"
	@echo "  i terminalen (nytt fönster):  make chat"
	@echo "  över HTTP:  curl -s -X POST http://localhost:$(RASA_PORT)/webhooks/rest/webhook \\"
	@echo "                -H 'Content-Type: application/json' -d '{\"sender\": \"demo-1\", \"message\": \"Vem kan söka medel?\"}'"
	@echo "  webbchatt (demosida):  http://localhost:$(RASA_PORT)/webhooks/web/demo"
	@echo "  Utkast hamnar i $(DRAFTS_DIR). Stoppa med Ctrl-C."
	@echo ""
	-@$(PY) -m kansli.cli demo-user && scripts/kansli.sh start $$PPID  # the bot starts even if this fails
	scripts/bot.sh serve

chat: setup
	$(PY) scripts/chat.py

# The kansli workspace alone (kansli/, 127.0.0.1:5080 or KANSLI_PORT); accounts with make kansli-user.
kansli: setup
	scripts/kansli.sh serve

kansli-user: setup
	$(PY) -m kansli.cli add-user

test: train browser-deps
	$(PY) -m pytest

# The question set written from the seeds: the held-out third through the real model and the
# bot's own answer decision (finsam/answering.py).
eval-questions: train
	$(PY) scripts/eval_questions.py

# The same figures over five models that differ only in DIET's random seed (about two minutes each to train).
# SEEDS_ARGS="--seeds 42,7" picks others.
eval-seeds: setup
	$(PY) scripts/eval_seeds.py $(SEEDS_ARGS)

# knowledge/faq.yml is the one list of FAQ intents: check (or regenerate) the derived lists.
check-faq: setup
	$(PY) scripts/sync_faq_intents.py

sync-faq: setup
	$(PY) scripts/sync_faq_intents.py --write

lint: setup
	$(PY) -m ruff check .

# This bot against a stock `rasa init` bot (build/bench/report.md); BENCH_ARGS="--quick --profile --train --cv".
bench: train
	$(PY) scripts/bench.py $(BENCH_ARGS)

# Load test, not part of `make test`: 200 conversations x 15 turns (FAQ and whole idea sketches)
# against one instance and against two behind nginx (PostgreSQL + Redis; nginx-light is installed
# from Debian when run as root). Uses the newest trained model; report in build/load/report.md.
# Quick run: make load LOAD_ARGS="--conversations 20 --mode single"
.PHONY: load
load: setup
	@ls models/rasa/finsam-*.tar.gz >/dev/null 2>&1 || $(MAKE) train
	$(PY) scripts/load.py $(LOAD_ARGS)

# Pre-review precision/recall per rule on tests/data/prereview (tuning and held-out sets).
.PHONY: eval-prereview
eval-prereview: setup
	@$(PY) scripts/eval_prereview.py 2>&1 | grep -v -e tensorflow -e "^To enable" -e TensorRT -e cuda

# How the form reads answers, rules questions and steering messages typed while it asks (trained model).
.PHONY: eval-form
eval-form: train
	@$(PY) scripts/eval_form.py 2>&1 | grep -v -e tensorflow -e "^To enable" -e TensorRT -e cuda -e Warning -e "^  warn" -e "^  from"

# How often a steering message in new words would be taken as an answer in the form (leave one out).
.PHONY: eval-steering
eval-steering: setup
	@$(PY) scripts/eval_steering.py 2>&1 | grep -v -e tensorflow -e "^To enable" -e TensorRT -e cuda

spacy-pipeline: setup
	$(PY) -m swedish_pipeline.train --data ../shared/data

teams-package: setup
	$(PY) scripts/teams_package.py

# Retention: conversations, drafts, index entries and staging folders older than
# RETENTION_DAYS, on the store in RASA_ENDPOINTS (SQLite or PostgreSQL). Run daily (cron).
purge: setup
	$(PY) scripts/purge.py

# Before saving edits to knowledge/*.yml, the domain or the NLU data: what is wrong, with file and line.
check: setup
	$(PY) scripts/check.py

lock: setup
	$(PY) -m pip freeze --exclude-editable | sed '1i # Pinned, complete dependency set (python3.10). Regenerate with: make lock' > requirements.txt

clean:
	rm -rf .run build models/rasa
