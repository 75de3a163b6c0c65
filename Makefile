# Jiangzhou government services assistant — the dev loop. `make help` lists the targets.
SHELL := /bin/bash
PY := .venv/bin/python
export TF_CPP_MIN_LOG_LEVEL ?= 2
export RASA_TELEMETRY_ENABLED := false
export PYTHONPATH := $(CURDIR)

.DEFAULT_GOAL := help
.PHONY: help install system-deps kb train run run-prod admin seed bench-full test test-fast fuzz validate shell eval bench lint clean lock

help: ## list the targets
	@grep -E '^[a-z-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS=":.*?## "} {printf "  make %-12s %s\n", $$1, $$2}'

install: ## create the Python 3.10 environment (.venv) if missing
	@bash scripts/setup.sh

system-deps: ## install Debian packages the browser tests need (Chromium, CJK fonts), if missing
	@bash scripts/system_deps.sh

kb: install ## build the knowledge base from knowledge_base/content (skipped when unchanged)
	@$(PY) -m knowledge_base build

train: install ## train the Rasa model if config, domain, data or KB names changed
	@$(PY) scripts/train.py

run: install kb ## everything: KB, model, Rasa (5005), actions (5055), web page + staff console (8080)
	@bash scripts/run.sh

admin: install kb ## create a staff console account: make admin NAME=li ROLE=admin (asks for the password)
	@$(PY) -m console create-user $(or $(NAME),admin) --role $(or $(ROLE),admin)

seed: install kb ## add synthetic conversations for the console's dashboard: make seed N=2000
	@$(PY) -m console.seed --conversations $(or $(N),2000)

run-prod: install system-deps ## production mode on loopback: nginx, 2 Rasa replicas, 2 action servers, PostgreSQL, Redis
	@bash scripts/run_prod.sh

test: install system-deps ## the whole test suite (validate, unit, end-to-end, browser)
	@bash scripts/test.sh

test-fast: install ## unit tests only (no servers, no training)
	@$(PY) -m pytest -q -m "not e2e and not browser"

fuzz: install ## long webhook fuzzing run (>= 10,000 generated inputs; FUZZ_EXAMPLES=N for another count)
	FUZZ_EXAMPLES=$(or $(FUZZ_EXAMPLES),10200) FUZZ_RANDOM=$(or $(FUZZ_RANDOM),1) \
	  $(PY) -m pytest -q -p no:cacheprovider tests/e2e/test_fuzz_webhooks.py

validate: install ## rasa data validate + knowledge-base validate
	@$(PY) scripts/generate_nlu.py >/dev/null
	@$(PY) -m rasa data validate --fail-on-warnings --domain bot/domain --data data/nlu data/rules data/stories --config config.yml
	@$(PY) -m knowledge_base validate

shell: install kb ## chat with the bot in the terminal (starts the action server)
	@bash scripts/run.sh --shell

eval: install kb ## search and NLU/dialogue evaluation on the dev sets
	@bash scripts/eval.sh

bench: install system-deps ## speed figures (quick, < 5 min): make run, make run-prod, stock Rasa if trained
	@$(PY) -m bench

bench-full: install system-deps ## all speed, memory and growth figures (trains stock Rasa if needed)
	@$(PY) -m bench --full

lint: install ## ruff
	@$(PY) -m ruff check .

lock: ## re-resolve requirements.in into requirements.lock (needs the registries)
	@bash scripts/lock.sh

clean: ## remove models, generated data and local databases
	rm -rf models var data/nlu/generated .pytest_cache results
