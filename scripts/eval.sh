#!/usr/bin/env bash
# make eval: knowledge-base search accuracy, then the running bot measured through the evaluation
# contract (shared/tools/eval_conversations.py) for our pipeline and Rasa's default side by side,
# then Rasa's NLU cross-validation summary. Set EVAL_SKIP_BASELINE=1 / EVAL_SKIP_CV=1 to skip parts.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false PYTHONPATH=$PWD TF_CPP_MIN_LOG_LEVEL=2
PY=.venv/bin/python
SHARED=${SHARED_DIR:-$(cd .. && pwd)/shared}
mkdir -p results

echo "== 1. knowledge-base search (search alone, dev set)"
$PY -m knowledge_base.eval_search eval/dev_messages.tsv

$PY scripts/eval_data.py --shared "$SHARED/eval" --out results/eval_messages.tsv
run_bot_eval() {  # $1 = label, $2 = config, $3 = model name prefix, $4 = model folder
  echo "== 2. $1: service / aspect / refusals / reply language / dialogues"
  local start=$SECONDS
  local model; model=$($PY scripts/train.py --config "$2" --prefix "$3" --out "$4" | tail -n 1)
  local trained; trained=$(cat "${model%.tar.gz}.seconds" 2>/dev/null || echo "?")
  echo "$trained" >"results/train-$1.seconds"
  echo "   model: $model (ready after $((SECONDS - start)) s; its training took $trained s on $(nproc) cores)"
  $PY scripts/eval_stack.py --model "$model" -- \
    $PY "$SHARED/tools/eval_conversations.py" --tsv results/eval_messages.tsv \
      --dialogues eval/dev_dialogues.yml --json "results/eval-$1.json" --show-failures "${SHOW_FAILURES:-0}" \
    | tee "results/eval-$1.txt"
}
run_bot_eval ours config.yml govassist models
if [ "${EVAL_SKIP_BASELINE:-0}" != 1 ]; then
  run_bot_eval rasa-default config.default.yml baseline models/baseline
  echo "== side by side: our pipeline vs Rasa's default pipeline and policies, same data, same dev set"
  $PY scripts/eval_compare.py results/eval-ours.json results/eval-rasa-default.json \
    --times "$(cat results/train-ours.seconds)" "$(cat results/train-rasa-default.seconds)" \
    | tee results/eval-compare.txt
fi

if [ "${EVAL_SKIP_CV:-0}" != 1 ]; then
  echo "== 3. Rasa NLU cross-validation (3 folds, our pipeline)"
  $PY -m rasa test nlu --config config.yml --nlu data/nlu --cross-validation --folds 3 \
    --out results/nlu-cv >results/nlu-cv.log 2>&1 || { tail -n 30 results/nlu-cv.log; exit 1; }
  grep -E "Intent evaluation results|test (Accuracy|F1-score|Precision)" results/nlu-cv.log | head -n 8 || true
fi
