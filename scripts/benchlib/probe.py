"""Wall-clock probe for `make bench --profile`: start Rasa or the action server with timers around the
steps of a turn, and write the sums to $BENCH_PROBE_OUT (JSON) every few requests and at exit.

    probe.py rasa run --model …      # like `python -m rasa run …`
    probe.py actions                 # like scripts/action_server.py

Rasa steps: HTTP request (Sanic, whole /webhooks/ request), agent (lock + turn), lock acquire,
NLU (parse_message), tracker retrieve/save, policies (predict_next_with_tracker), actions
(_run_action) of which the action server round trip (RemoteAction.run). Action server steps: HTTP
request and ActionExecutor.run. Only for measuring: the normal launchers never load this module.
"""
from __future__ import annotations

import atexit
import functools
import json
import os
import runpy
import signal
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
OUT = os.environ.get("BENCH_PROBE_OUT", "")
TOTALS: Dict[str, List[float]] = {}  # step -> [count, seconds]
_requests = [0]


def add(step: str, seconds: float) -> None:
    entry = TOTALS.setdefault(step, [0, 0.0])
    entry[0] += 1
    entry[1] += seconds


def dump() -> None:
    if OUT:
        Path(OUT).write_text(json.dumps({step: {"count": c, "seconds": s} for step, (c, s) in TOTALS.items()},
                                        indent=1))


def timed_async(owner, name: str, step: str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    async def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            add(step, time.perf_counter() - started)

    setattr(owner, name, wrapper)


def timed_sync(owner, name: str, step: str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            add(step, time.perf_counter() - started)

    setattr(owner, name, wrapper)


def time_requests(app, step: str) -> None:
    async def on_request(request):
        request.ctx.bench_started = time.perf_counter()

    async def on_response(request, response):
        started = getattr(request.ctx, "bench_started", None)
        if started is not None and request.method == "POST":
            add(step, time.perf_counter() - started)
            _requests[0] += 1
            if _requests[0] % 25 == 0:
                dump()

    app.register_middleware(on_request, "request")
    app.register_middleware(on_response, "response")


def patch_rasa() -> None:
    import rasa.core.run as run
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    from rasa.core.lock_store import LockStore
    from rasa.core.processor import MessageProcessor
    from rasa.core.tracker_store import FailSafeTrackerStore

    timed_async(Agent, "handle_message", "agent.handle_message (lock + turn)")
    timed_async(MessageProcessor, "handle_message", "processor.handle_message (turn)")
    timed_async(MessageProcessor, "parse_message", "NLU parse_message")
    timed_sync(MessageProcessor, "_predict_next_with_tracker", "policies _predict_next_with_tracker")
    timed_async(MessageProcessor, "_run_action", "actions _run_action (all)")
    timed_async(RemoteAction, "run", "action server round trip (RemoteAction.run)")
    timed_async(FailSafeTrackerStore, "retrieve", "tracker store retrieve")
    timed_async(FailSafeTrackerStore, "save", "tracker store save")

    original_lock = LockStore.lock

    @asynccontextmanager
    async def lock(self, *args, **kwargs):
        started = time.perf_counter()
        async with original_lock(self, *args, **kwargs) as acquired:
            add("lock acquire", time.perf_counter() - started)
            yield acquired

    LockStore.lock = lock
    time_apps_from(run, "configure_app")


def time_apps_from(module, factory_name: str) -> None:
    """Every Sanic app the module's factory makes times its requests as a whole."""
    factory = getattr(module, factory_name)

    @functools.wraps(factory)
    def timed_factory(*args, **kwargs):
        app = factory(*args, **kwargs)
        time_requests(app, "HTTP request (Sanic, whole)")
        return app

    setattr(module, factory_name, timed_factory)


def patch_actions() -> None:
    import rasa_sdk.endpoint as endpoint
    from rasa_sdk.executor import ActionExecutor

    timed_async(ActionExecutor, "run", "ActionExecutor.run (the action itself)")
    time_apps_from(endpoint, "create_app")


def dump_and_reset(*_args) -> None:
    """SIGUSR1: write the sums so far and start counting afresh (the bench brackets a phase with it)."""
    dump()
    TOTALS.clear()


def main() -> None:
    role = sys.argv.pop(1)
    atexit.register(dump)
    signal.signal(signal.SIGUSR1, dump_and_reset)
    if role == "rasa":
        patch_rasa()
        import rasa.__main__
        sys.argv[0] = "rasa"
        rasa.__main__.main()
    elif role == "actions":
        patch_actions()
        sys.argv[0] = str(ROOT / "scripts" / "action_server.py")
        runpy.run_path(sys.argv[0], run_name="__main__")
    else:
        sys.exit("usage: probe.py rasa|actions …")


if __name__ == "__main__":
    main()
