#!/usr/bin/env bash
# Start the action server (localhost) and Rasa with the current model.
#   scripts/bot.sh serve        Rasa in the foreground; Ctrl-C stops both
#   scripts/bot.sh start        both in the background (logs and pids in .run/)
#   scripts/bot.sh stop         stop what `start` started
# Rasa's HTTP API is only switched on when RASA_AUTH_TOKEN or RASA_JWT_SECRET (or …_FILE) is
# set. Secrets never go on a command line (`ps` shows those): scripts/rasa_run.py reads them
# from the environment. RUN_DIR (default .run) holds logs and pids; RASA_MODEL picks a model.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
RUN_DIR=${RUN_DIR:-.run}
mkdir -p "$RUN_DIR" "$(dirname "$TRACKER_DB")"
export RASA_INTERFACE=${RASA_INTERFACE:-127.0.0.1}  # the REST channel asks for a token beyond loopback

rasa_args=(run --model "${RASA_MODEL:-$($PY scripts/rasa_model.py path)}"
           --endpoints "${RASA_ENDPOINTS:-bot/endpoints.yml}"
           --credentials bot/credentials.yml --interface "$RASA_INTERFACE"
           --port "${RASA_PORT:-5005}")
if [ -n "${RASA_CORS:-}" ]; then rasa_args+=(--cors "$RASA_CORS"); fi

wait_for() {  # url, seconds, what[, pid, log: stop at once when that process has exited]
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then
      echo "$3 avslutades direkt / exited at start:" >&2; tail -n 5 "$5" >&2; return 1
    fi
    if [ $SECONDS -ge $deadline ]; then echo "$3 svarade inte inom $2 s (se $RUN_DIR/*.log)" >&2; return 1; fi
    sleep 1
  done
}

preflight() {  # the tracker and lock stores must answer, else a clear message and exit code 3
  $PY scripts/check_services.py "${RASA_ENDPOINTS:-bot/endpoints.yml}"
}

start_actions() {
  $PY scripts/action_server.py >"$RUN_DIR/actions.log" 2>&1 &
  echo $! >"$RUN_DIR/actions.pid"
  wait_for "http://127.0.0.1:${ACTION_SERVER_PORT:-5055}/health" 60 "Action-servern" "$!" "$RUN_DIR/actions.log"
}

stop_all() {
  for name in rasa actions; do
    if [ -f "$RUN_DIR/$name.pid" ]; then
      kill "$(cat "$RUN_DIR/$name.pid")" 2>/dev/null || true
      rm -f "$RUN_DIR/$name.pid"
    fi
  done
}

case "${1:-serve}" in
  serve)
    preflight
    start_actions
    trap stop_all EXIT INT TERM
    echo "Action-servern kör på 127.0.0.1:${ACTION_SERVER_PORT:-5055}. Startar Rasa på port ${RASA_PORT:-5005} …"
    $PY scripts/rasa_run.py "${rasa_args[@]}"
    ;;
  start)
    stop_all
    preflight
    start_actions
    $PY scripts/rasa_run.py "${rasa_args[@]}" >"$RUN_DIR/rasa.log" 2>&1 &
    echo $! >"$RUN_DIR/rasa.pid"
    echo "Startar Rasa (det tar upp till en minut) …"
    wait_for "http://127.0.0.1:${RASA_PORT:-5005}/webhooks/rest/" "${RASA_START_SECONDS:-240}" "Rasa"
    ;;
  stop)
    stop_all
    ;;
  *)
    echo "användning: scripts/bot.sh serve|start|stop" >&2; exit 2
    ;;
esac
