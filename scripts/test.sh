#!/usr/bin/env bash
# The whole test suite: data validation, model (trained if needed), pytest (unit, e2e, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
export RASA_TELEMETRY_ENABLED=false PYTHONPATH=$PWD TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
PY=.venv/bin/python

echo "== knowledge base: validate"
$PY -m knowledge_base validate
echo "== rasa data validate"
$PY scripts/generate_nlu.py >/dev/null
$PY -m rasa data validate --fail-on-warnings --domain bot/domain \
  --data data/nlu data/rules data/stories --config config.yml >var/validate.log 2>&1 \
  || { tail -n 40 var/validate.log; exit 1; }
echo "== model (trains only when data or config changed)"
model=$($PY scripts/train.py | tail -n 1)
echo "$model"
echo "== conversation tests (rasa test, both languages)"
$PY -m rasa test core --model "$model" --stories tests/conversations --fail-on-prediction-errors \
  --out var/rasa-test >var/rasa-test.log 2>&1 \
  || { grep -v "^  " var/rasa-test.log | tail -n 30; cat var/rasa-test/failed_test_stories.yml 2>/dev/null | head -n 60; exit 1; }
grep -E "Correct:|Accuracy:" var/rasa-test.log | head -n 4 || true
echo "== pytest (unit, end-to-end, Telegram)"
$PY -m pytest -q -p no:cacheprovider -m "not browser" "$@"
echo "== pytest (browser: Playwright drives Debian's Chromium; own process, its event loop stays apart)"
$PY -m pytest -q -p no:cacheprovider -m browser "$@"
