#!/usr/bin/env bash
# make run-prod: Rasa's own scale-out on one machine, on loopback.
#   nginx :PUBLIC_PORT (5005)  ->  REPLICAS Rasa servers (5101, 5102, ...)
#   nginx :ACTION_LB_PORT (5055) -> ACTION_SERVERS action servers (5201, 5202, ...)
#   PostgreSQL: knowledge base (DATABASE_URL) and conversations (TRACKER_DB_URL, SQL tracker store)
#   Redis: the lock store (REDIS_URL), so any replica can take any turn of a conversation.
# Starts and stops only its own processes; Ctrl-C (or SIGTERM) stops them all.
set -euo pipefail
umask 077  # logs, SQLite databases, keys and backups: readable by their owner only
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false PYTHONPATH=$PWD TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
PY=.venv/bin/python
if [ -n "${TELEGRAM_TOKEN:-}" ] && [ -z "${RASA_TOKEN:-}" ] && [ -z "${RASA_JWT_SECRET:-}" ]; then
  echo "refusing to start: TELEGRAM_TOKEN is set but RASA_TOKEN is not. Without an API token anyone who" >&2
  echo "reaches Rasa's HTTP API could make the official Telegram bot message any chat. Set RASA_TOKEN." >&2
  exit 2
fi
PUBLIC_PORT=${PUBLIC_PORT:-5005} ACTION_LB_PORT=${ACTION_LB_PORT:-5055} WEB_PORT=${WEB_PORT:-8080}
API_PORT=${API_PORT:-5006}
REPLICAS=${REPLICAS:-2} ACTION_SERVERS=${ACTION_SERVERS:-2}
RASA_BASE_PORT=${RASA_BASE_PORT:-5100} ACTION_BASE_PORT=${ACTION_BASE_PORT:-5200}
VAR=${PROD_VAR_DIR:-$PWD/var/prod}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "run-prod: nginx is missing (make system-deps installs it)" >&2; exit 1; }
(umask 022; mkdir -p "$VAR")  # traversable: nginx's workers (nobody, if started as root) reach their temp dirs
mkdir -p "$VAR"/logs

exports=$($PY scripts/prod_env.py) || exit 1
eval "$exports"
export ACTION_SERVER_URL="http://127.0.0.1:$ACTION_LB_PORT/webhook" RASA_URL="http://127.0.0.1:$PUBLIC_PORT"
export RASA_API_URL="http://127.0.0.1:$API_PORT"  # staff tools; the public port carries the channels only
export KB_REFRESH_SECONDS=${KB_REFRESH_SECONDS:-1}
# A conversation lock held by a killed replica lapses after this many seconds (Rasa's default, 60,
# outlasts nginx's 30 s read timeout: the client's retry would get a 504).
export TICKET_LOCK_LIFETIME=${TICKET_LOCK_LIFETIME:-20}
# Sanic (Rasa and the action server) refuses a request body over 1 MB before buffering it
# (its default is 100 MB); the channels refuse far less (64 KB) with their own JSON error.
export SANIC_REQUEST_MAX_SIZE=${SANIC_REQUEST_MAX_SIZE:-1048576}
export SANIC_FALLBACK_ERROR_FORMAT=${SANIC_FALLBACK_ERROR_FORMAT:-json}  # its own errors (that 413) as JSON, never an HTML page
# nginx keeps idle connections to the servers for 60 s (deploy/nginx.conf.template): the servers keep
# them longer (Sanic's default, 5 s, closes one just as nginx reuses it: a POST then fails with a 502)
export SANIC_KEEP_ALIVE_TIMEOUT=${SANIC_KEEP_ALIVE_TIMEOUT:-75}
# The action server takes Rasa's whole conversation (the current session) with each call: its own
# limit, 16 MB (as nginx's in front of the action servers in production), reached only by Rasa.
ACTION_REQUEST_MAX_SIZE=${ACTION_REQUEST_MAX_SIZE:-16777216}
# One thread of numerical work per process: the replicas share the cores (no oversubscription).
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} \
  MKL_NUM_THREADS=${MKL_NUM_THREADS:-1} TF_INTRA_OP_PARALLELISM_THREADS=${TF_INTRA_OP_PARALLELISM_THREADS:-1} \
  TF_INTER_OP_PARALLELISM_THREADS=${TF_INTER_OP_PARALLELISM_THREADS:-1}

$PY -m knowledge_base build >/dev/null
model=${MODEL:-$($PY scripts/train.py | tail -n 1)}

pids=()
cleanup() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup INT TERM EXIT

# supervise LOG CMD...: runs CMD and starts it again 2 s after it dies (a crashed or killed replica
# comes back without a manual step). Before the whole stack has been ready once, a server that dies
# is not restarted: a start-up failure still stops make run-prod with its log.
ready_flag="$VAR/.ready"
rm -f "$ready_flag"
supervise() {
  local log=$1; shift
  (
    child=""
    trap '[ -n "$child" ] && kill "$child" 2>/dev/null; wait 2>/dev/null; exit 0' TERM INT
    while :; do
      "$@" >>"$log" 2>&1 &
      child=$!
      wait "$child" || true
      [ -e "$ready_flag" ] || exit 1
      echo "$(date -u +%FT%TZ) run-prod: the server stopped; starting it again in 2 s" >>"$log"
      sleep 2
    done
  ) &
  pids+=($!)
}

rasa_servers="" action_servers=""
for i in $(seq 1 "$ACTION_SERVERS"); do
  port=$((ACTION_BASE_PORT + i))
  # rasa-sdk's action server with personal data masked in its logs (service_desk/action_server.py)
  : >"$VAR/logs/actions-$i.log"
  supervise "$VAR/logs/actions-$i.log" env SANIC_HOST=127.0.0.1 SANIC_REQUEST_MAX_SIZE="$ACTION_REQUEST_MAX_SIZE" $PY -m service_desk.action_server --actions actions --port "$port"
  action_servers+="127.0.0.1:$port "
done
auth=()
[ -n "${RASA_TOKEN:-}" ] && auth=(--auth-token "$RASA_TOKEN")
# JWT (per staff member, in the Authorization header, never in a URL): the console signs its calls
[ -n "${RASA_JWT_SECRET:-}" ] && auth+=(--jwt-secret "$RASA_JWT_SECRET" --jwt-method HS256)
for i in $(seq 1 "$REPLICAS"); do
  port=$((RASA_BASE_PORT + i))
  : >"$VAR/logs/rasa-$i.log"
  supervise "$VAR/logs/rasa-$i.log" $PY -m rasa run -m "$model" --enable-api "${auth[@]}" -i 127.0.0.1 --port "$port" \
    --cors "http://localhost:$WEB_PORT" "http://127.0.0.1:$WEB_PORT" \
    --endpoints endpoints.prod.yml --credentials credentials.yml
  rasa_servers+="127.0.0.1:$port "
done
# shellcheck disable=SC2086  # one argument per server
$PY scripts/nginx_conf.py --var "$VAR" --public-port "$PUBLIC_PORT" --api-port "$API_PORT" \
  --action-lb-port "$ACTION_LB_PORT" --rasa $rasa_servers --actions $action_servers >"$VAR/nginx.conf"
"$NGINX" -c "$VAR/nginx.conf" -p "$VAR" -e "$VAR/nginx-error.log" >"$VAR/logs/nginx.log" 2>&1 &
pids+=($!)
if [ "${NO_WEB:-}" != 1 ]; then
  $PY -m channels.web.server --port "$WEB_PORT" --rasa-url "$RASA_URL" >"$VAR/logs/web.log" 2>&1 &
  pids+=($!)
fi

if [ -n "${REST_TOKEN:-}" ]; then
  rest_line="http://127.0.0.1:$PUBLIC_PORT/webhooks/rest/webhook (needs REST_TOKEN)"
else
  rest_line="internal only, http://127.0.0.1:$API_PORT/webhooks/rest/webhook (set REST_TOKEN to publish it)"
fi
echo "Starting $REPLICAS Rasa replicas and $ACTION_SERVERS action servers (logs in $VAR/logs/) ..."
for _ in $(seq 1 240); do
  ready=1
  for i in $(seq 1 "$REPLICAS"); do
    # "/" answers once the model is loaded, without a token (/status needs one when the API is closed)
    curl -fsS "http://127.0.0.1:$((RASA_BASE_PORT + i))/" >/dev/null 2>&1 || ready=0
  done
  curl -fsS "http://127.0.0.1:$ACTION_LB_PORT/health" >/dev/null 2>&1 || ready=0
  curl -fsS "http://127.0.0.1:$PUBLIC_PORT/" >/dev/null 2>&1 || ready=0
  if [ $ready = 1 ]; then
    touch "$ready_flag"
    cat <<MSG

  Ready (production mode).
  Channels (nginx -> $REPLICAS Rasa replicas):  http://127.0.0.1:$PUBLIC_PORT/webhooks/{webchat,telegram}/webhook
  REST channel:                                $rest_line
  HTTP API for staff tools (internal):         http://127.0.0.1:$API_PORT
  Web page:                                    http://localhost:$WEB_PORT/
  Staff console:                               http://localhost:$WEB_PORT/admin/
  Conversations: PostgreSQL $TRACKER_DB_HOST:$TRACKER_DB_PORT/$TRACKER_DB_NAME   locks: Redis $REDIS_HOST:$REDIS_PORT
  Press Ctrl-C to stop.
MSG
    wait -n "${pids[@]}" || true
    echo "a server stopped; see $VAR/logs/" >&2
    exit 1
  fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "a server failed to start; see $VAR/logs/" >&2; tail -n 20 "$VAR"/logs/*.log >&2; exit 1; }
  done
  sleep 1
done
echo "timed out waiting for the servers; see $VAR/logs/" >&2
exit 1
