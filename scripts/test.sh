#!/usr/bin/env bash
# The whole test suite: data validation, model (trained if needed), pytest (unit, e2e, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
export PYTHONPATH=$PWD TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
PY=.venv/bin/python

echo "== knowledge base: validate"
$PY -m knowledge_base validate
echo "== rasa data validate"
$PY scripts/generate_nlu.py >/dev/null
$PY -m rasa data validate --fail-on-warnings --domain bot/domain \
  --data data/nlu data/rules data/stories --config config.yml >var/validate.log 2>&1 \
  || { tail -n 40 var/validate.log; exit 1; }
echo "== model (trains only when data or config changed)"
$PY scripts/train.py | tail -n 1
echo "== pytest"
$PY -m pytest -q -p no:cacheprovider "$@"
