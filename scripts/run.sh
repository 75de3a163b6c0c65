#!/usr/bin/env bash
# Starts the action server, the Rasa server and the web page; Ctrl-C stops them all.
# `scripts/run.sh --shell` talks to the bot in the terminal instead of serving HTTP.
set -euo pipefail
umask 077  # logs, SQLite databases, keys and backups: readable by their owner only
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false PYTHONPATH=$PWD TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
RASA_PORT=${RASA_PORT:-5005} ACTION_PORT=${ACTION_PORT:-5055} WEB_PORT=${WEB_PORT:-8080}
export ACTION_SERVER_URL=${ACTION_SERVER_URL:-http://localhost:$ACTION_PORT/webhook}
export TRACKER_DB=${TRACKER_DB:-$PWD/var/tracker.db}
export RASA_URL=${RASA_URL:-http://localhost:$RASA_PORT}
PY=.venv/bin/python
if [ -n "${TELEGRAM_TOKEN:-}" ] && [ -z "${RASA_TOKEN:-}" ] && [ -z "${RASA_JWT_SECRET:-}" ]; then
  echo "refusing to start: TELEGRAM_TOKEN is set but RASA_TOKEN is not. Without an API token anyone who" >&2
  echo "reaches Rasa's HTTP API could make the official Telegram bot message any chat. Set RASA_TOKEN." >&2
  exit 2
fi
# Sanic (Rasa and the action server) refuses a request body over 1 MB before buffering it
# (its default is 100 MB); the channels refuse far less (64 KB) with their own JSON error.
export SANIC_REQUEST_MAX_SIZE=${SANIC_REQUEST_MAX_SIZE:-1048576}
export SANIC_FALLBACK_ERROR_FORMAT=${SANIC_FALLBACK_ERROR_FORMAT:-json}  # its own errors (that 413) as JSON, never an HTML page
# The action server takes Rasa's whole conversation (the current session) with each call: its own
# limit, 16 MB (as nginx's in front of the action servers in production), reached only by Rasa.
ACTION_REQUEST_MAX_SIZE=${ACTION_REQUEST_MAX_SIZE:-16777216}
# One thread of numerical work per process: Rasa and the action server share the cores.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} \
  MKL_NUM_THREADS=${MKL_NUM_THREADS:-1} TF_INTRA_OP_PARALLELISM_THREADS=${TF_INTRA_OP_PARALLELISM_THREADS:-1} \
  TF_INTER_OP_PARALLELISM_THREADS=${TF_INTER_OP_PARALLELISM_THREADS:-1}
LOG_DIR=${LOG_DIR:-var/logs}
mkdir -p "$LOG_DIR"

model=${MODEL:-$($PY scripts/train.py | tail -n 1)}
pids=()
cleanup() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup INT TERM EXIT

# rasa-sdk's action server with personal data masked in its logs (service_desk/action_server.py)
SANIC_HOST=127.0.0.1 SANIC_REQUEST_MAX_SIZE=$ACTION_REQUEST_MAX_SIZE $PY -m service_desk.action_server --actions actions --port "$ACTION_PORT" >"$LOG_DIR"/actions.log 2>&1 &
pids+=($!)
if [ "${1:-}" = "--shell" ]; then
  $PY -m rasa shell -m "$model" --endpoints endpoints.yml
  exit 0
fi
# Loopback only; the browser may call Rasa only from the page's own origin.
auth=()
[ -n "${RASA_TOKEN:-}" ] && auth=(--auth-token "$RASA_TOKEN")
# JWT (per staff member, in the Authorization header, never in a URL): the console signs its calls
[ -n "${RASA_JWT_SECRET:-}" ] && auth+=(--jwt-secret "$RASA_JWT_SECRET" --jwt-method HS256)
$PY -m rasa run -m "$model" --enable-api "${auth[@]}" -i 127.0.0.1 --port "$RASA_PORT" \
  --cors "http://localhost:$WEB_PORT" "http://127.0.0.1:$WEB_PORT" \
  --endpoints endpoints.yml --credentials credentials.yml >"$LOG_DIR"/rasa.log 2>&1 &
pids+=($!)
if [ "${NO_WEB:-}" != 1 ]; then
  $PY -m channels.web.server --port "$WEB_PORT" --rasa-url "$RASA_URL" >"$LOG_DIR"/web.log 2>&1 &
  pids+=($!)
fi

echo "Starting (logs in $LOG_DIR/) ..."
for _ in $(seq 1 180); do
  if curl -fsS "http://localhost:$RASA_PORT/" >/dev/null 2>&1 \
     && curl -fsS "http://localhost:$ACTION_PORT/health" >/dev/null 2>&1; then
    cat <<MSG

  Ready.
  Web page (chat widget):   http://localhost:$WEB_PORT/
  Staff console:            http://localhost:$WEB_PORT/admin/   (first account: make admin NAME=yourname)
  Web chat channel:         http://localhost:$RASA_PORT/webhooks/webchat/webhook
  REST channel:             curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender":"me","message":"护照怎么办理？"}'
  Tracker (slots):          http://localhost:$RASA_PORT/conversations/me/tracker
  Action server:            http://localhost:$ACTION_PORT/health
  Press Ctrl-C to stop.
MSG
    wait -n "${pids[@]}" || true
    echo "a server stopped; see $LOG_DIR/" >&2
    exit 1
  fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "a server failed to start; see $LOG_DIR/" >&2; tail -n 20 "$LOG_DIR"/*.log >&2; exit 1; }
  done
  sleep 1
done
echo "timed out waiting for the servers; see $LOG_DIR/" >&2
exit 1
