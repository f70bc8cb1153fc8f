#!/usr/bin/env bash
# The kansli workspace (kansli/), a separate process on loopback (KANSLI_HOST:KANSLI_PORT, 127.0.0.1:5080).
#   scripts/kansli.sh serve            in the foreground (make kansli)
#   scripts/kansli.sh start [PID]      in the background (log and pid in .run/); with PID it stops
#                                      when that process ends (make demo passes make's pid)
#   scripts/kansli.sh stop
# On first start `make demo` creates the account "demo" with a random password and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
RUN_DIR=${RUN_DIR:-.run}
PORT=${KANSLI_PORT:-5080}
mkdir -p "$RUN_DIR"

stop() {
  if [ -f "$RUN_DIR/kansli.pid" ]; then
    kill "$(cat "$RUN_DIR/kansli.pid")" 2>/dev/null || true
    rm -f "$RUN_DIR/kansli.pid"
  fi
}

case "${1:-serve}" in
  serve)
    echo "Kansliets arbetsyta: http://localhost:$PORT/ (Ctrl-C stoppar)"
    exec $PY -m kansli
    ;;
  start)
    stop
    $PY -m kansli >"$RUN_DIR/kansli.log" 2>&1 &
    pid=$!
    echo $pid >"$RUN_DIR/kansli.pid"
    if [ -n "${2:-}" ]; then  # follow the caller: stop with it
      (while kill -0 "$2" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 2; done
       kill "$pid" 2>/dev/null || true; rm -f "$RUN_DIR/kansli.pid") >/dev/null 2>&1 &
    fi
    deadline=$((SECONDS + 60))
    until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/login" 2>/dev/null; do
      if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
        echo "Kansliets arbetsyta startade inte (se $RUN_DIR/kansli.log)" >&2; exit 1
      fi
      sleep 1
    done
    echo "Kansliets arbetsyta kör: http://localhost:$PORT/ (logg i $RUN_DIR/kansli.log)"
    ;;
  stop)
    stop
    ;;
  *)
    echo "Användning: scripts/kansli.sh serve | start [PID] | stop" >&2; exit 2
    ;;
esac
