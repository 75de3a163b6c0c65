#!/usr/bin/env bash
# make eval: knowledge-base search accuracy, then the running bot measured through the evaluation
# contract (shared/tools/eval_conversations.py) on the dev set AND the locked test set, for our
# pipeline and Rasa's default side by side, then Rasa's NLU cross-validation summary.
# EVAL_SKIP_BASELINE=1 / EVAL_SKIP_CV=1 / EVAL_SKIP_LOCKED=1 skip parts.
# The locked set (eval/locked/) is never tuned on: run it once at the end of a piece of work.
set -euo pipefail
cd "$(dirname "$0")/.."
# every further set in eval/: dev2, dev3, ... then locked, locked2, ... (in number order)
SETS=$(cd eval && { ls -d dev[0-9]* 2>/dev/null | sort -V; ls -d locked* 2>/dev/null | sort -V; })
export RASA_TELEMETRY_ENABLED=false PYTHONPATH=$PWD TF_CPP_MIN_LOG_LEVEL=2
PY=.venv/bin/python
SHARED=${SHARED_DIR:-$(cd .. && pwd)/shared}
mkdir -p results

echo "== 1. knowledge-base search (search alone, dev set)"
$PY -m knowledge_base.eval_search eval/dev_messages.tsv

$PY scripts/eval_data.py --shared "$SHARED/eval" --out results/eval_messages.tsv
run_bot_eval() {  # $1 = label, $2 = config, $3 = model name prefix, $4 = model folder
  echo "== 2. $1: service / aspect / refusals / small talk / reply language / dialogues"
  local start=$SECONDS
  local model; model=$($PY scripts/train.py --config "$2" --prefix "$3" --out "$4" | tail -n 1)
  local trained; trained=$(cat "${model%.tar.gz}.seconds" 2>/dev/null || echo "-")
  echo "$trained" >"results/train-$1.seconds"
  echo "   model: $model (ready after $((SECONDS - start)) s; its training took $trained s on $(nproc) cores)"
  local tool="$SHARED/tools/eval_conversations.py" show="${SHOW_FAILURES:-0}"
  local cmd="$PY $tool --url {url} --tsv results/eval_messages.tsv --dialogues eval/dev_dialogues.yml \
    --json results/eval-$1-dev.json --show-failures $show | tee results/eval-$1-dev.txt"
  # further dev sets (tunable) and locked sets (run once per piece of work): eval/dev<N>/, eval/locked<N>/
  local set kind
  for set in $SETS; do
    [ -f "eval/$set/messages.tsv" ] || continue
    kind=${set%%[0-9]*}
    if [ "$kind" = locked ] && [ "${EVAL_SKIP_LOCKED:-0}" = 1 ]; then continue; fi
    local dialogues=""
    [ -f "eval/$set/dialogues.yml" ] && dialogues="--dialogues eval/$set/dialogues.yml"
    cmd="$cmd; echo '-- $set'; $PY $tool --url {url} --tsv eval/$set/messages.tsv $dialogues \
      --json results/eval-$1-$set.json --show-failures $([ "$kind" = locked ] && echo 0 || echo "$show") \
      | tee results/eval-$1-$set.txt"
  done
  $PY scripts/eval_stack.py --model "$model" -- bash -c "$cmd"
}
run_bot_eval ours config.yml govassist models
runs=(results/eval-ours-dev.json) labels=(ours-dev) times=("$(cat results/train-ours.seconds)")
for set in $SETS; do
  if [ -f "results/eval-ours-$set.json" ] && { [ "${set%%[0-9]*}" = dev ] || [ "${EVAL_SKIP_LOCKED:-0}" != 1 ]; }; then
    runs+=("results/eval-ours-$set.json") labels+=("ours-$set") times+=("$(cat results/train-ours.seconds)")
  fi
done
if [ "${EVAL_SKIP_BASELINE:-0}" != 1 ]; then
  run_bot_eval rasa-default config.default.yml baseline models/baseline
  runs+=(results/eval-rasa-default-dev.json) labels+=(default-dev) times+=("$(cat results/train-rasa-default.seconds)")
  if [ -f results/eval-rasa-default-locked.json ] && [ "${EVAL_SKIP_LOCKED:-0}" != 1 ]; then
    runs+=(results/eval-rasa-default-locked.json) labels+=(default-locked)
    times+=("$(cat results/train-rasa-default.seconds)")
  fi
fi
echo "== side by side: dev set and locked test set; our pipeline and Rasa's default (same data)"
$PY scripts/eval_compare.py "${runs[@]}" --labels "${labels[@]}" --times "${times[@]}" \
  | tee results/eval-compare.txt

if [ "${EVAL_SKIP_CV:-0}" != 1 ]; then
  echo "== 3. Rasa NLU cross-validation (3 folds, our pipeline)"
  $PY -m rasa test nlu --config config.yml --nlu data/nlu --cross-validation --folds 3 \
    --out results/nlu-cv >results/nlu-cv.log 2>&1 || { tail -n 30 results/nlu-cv.log; exit 1; }
  grep -E "Intent evaluation results|test (Accuracy|F1-score|Precision)" results/nlu-cv.log | head -n 8 || true
fi
