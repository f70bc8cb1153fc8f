"""`make bench`: this bot side by side with a stock `rasa init` bot (the floor), one run, one machine.

    python scripts/bench.py                 # the full comparison (about 10–15 min on 2 cores)
    python scripts/bench.py --quick         # short runs, to check the harness (noisy figures)
    python scripts/bench.py --profile       # also: py-spy flame graphs and a turn broken into its steps
    python scripts/bench.py --train         # also: time a training of this bot into a temporary folder
    python scripts/bench.py --cv            # also: NLU cross-validation (trains DIET --folds times)

Both bots answer through the REST channel (/webhooks/rest/webhook) on 127.0.0.1. Measured for each:
turn latency p50/p95/p99 with 1 and 20 clients, turns/s with one instance and with two instances sharing
PostgreSQL (database finsam_bench*, created and dropped here) and a Redis lock store, latency at turns
1–5 and 56–60 of 60-turn conversations, train time, server start time, RSS of each process.
Writes build/bench/report.md, plot.png and results.json and prints the ratios last. Uses the newest
trained model (scripts/rasa_model.py latest_model()), never trains this bot itself.
Nothing here fails on a threshold: the targets are printed as met / NOT met.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import rasa_model  # noqa: E402
from benchlib import load, pyspy, report, servers, stock  # noqa: E402

OUT = ROOT / "build" / "bench"
SIZES = {  # turns per phase: full run, --quick
    "c1": (200, 30), "c20": (800, 100), "long_conversations": (3, 1), "scaled": (800, 100), "profile_s": (40, 15),
}
LONG = 60


def say(text: str) -> None:
    print(text, flush=True)


def size(name: str, quick: bool) -> int:
    return SIZES[name][1 if quick else 0]


def cross_validation(folds: int) -> None:
    out = Path(tempfile.mkdtemp(prefix="cv-"))
    say(f"== NLU cross-validation, {folds} folds (trains DIET {folds} times) …")
    started = time.monotonic()
    with open(out / "rasa.log", "w") as log:
        subprocess.run([sys.executable, "-m", "rasa", "test", "nlu", "--nlu", "nlu_data/nlu.yml", "--config",
                        "config.yml", "--cross-validation", "--folds", str(folds), "--out", str(out)],
                       cwd=ROOT, check=True, stdout=log, stderr=subprocess.STDOUT)
    result = json.loads((out / "intent_report.json").read_text())
    say(f"intent macro F1 {result['macro avg']['f1-score']:.3f}, weighted F1 {result['weighted avg']['f1-score']:.3f}, "
        f"accuracy {result['accuracy']:.3f} ({time.monotonic() - started:.0f} s)")


def this_bot_train_seconds(model: Path, train: bool) -> Optional[float]:
    recorded = rasa_model.recorded_train_seconds(model)
    if not train:
        return recorded
    say("== Timing a training of this bot into a temporary folder (--train) …")
    with tempfile.TemporaryDirectory() as out:
        started = time.monotonic()
        with open(OUT / "logs" / "finsam-train.log", "w") as log:
            subprocess.run([sys.executable, "-m", "rasa", "train", "--config", "config.yml", "--domain",
                            "bot/domain.yml", "--data", "nlu_data", "bot/rules.yml", "bot/stories.yml", "--out", out],
                           cwd=ROOT, check=True, stdout=log, stderr=subprocess.STDOUT)
        return time.monotonic() - started


def measure_single(instance: servers.Instance, turns, quick: bool, results: Dict) -> None:
    name = instance.label
    say(f"== {name}: starting Rasa{' and the action server' if instance.with_actions else ''} …")
    instance.start()
    results["start"] = {f"{role}_s": seconds for role, seconds in instance.start_seconds.items()}
    say(f"   started in {', '.join(f'{r} {s:.1f} s' for r, s in instance.start_seconds.items())}")
    load.warm_up(instance.url, turns)
    for key, concurrency in (("c1", 1), ("c20", 20)):
        run = load.load([instance.url], turns, concurrency, size(key, quick), tag=f"{name}-{key}")
        results[key] = run.summary()
        s = results[key]
        say(f"   {concurrency:>2} client(s): n={s['n']} p50 {s['p50_ms']:.1f} p95 {s['p95_ms']:.1f} "
            f"p99 {s['p99_ms']:.1f} ms, {s['turns_per_s']:.1f} turns/s, errors {s['errors']}")
    run = load.long_conversations(instance.url, turns, LONG, size("long_conversations", quick))
    curve = [statistics.median(run.by_turn[t]) * 1000 for t in sorted(run.by_turn)]
    results["long"] = {"turn1_ms": load.window(run, 1, 5), "turn60_ms": load.window(run, LONG - 4, LONG),
                       "curve_ms": curve, "errors": run.errors}
    results["growth"] = results["long"]["turn60_ms"] / results["long"]["turn1_ms"]
    say(f"   {LONG}-turn conversations: turns 1–5 {results['long']['turn1_ms']:.1f} ms, "
        f"turns 56–60 {results['long']['turn60_ms']:.1f} ms ({results['growth']:.2f}×)")
    rss = instance.rss()
    results["rss"] = {f"{role}_mb": mb for role, mb in rss.items()}
    results["rss"]["total_mb"] = sum(mb or 0 for mb in rss.values())
    say("   RSS " + ", ".join(f"{role} {mb:.0f} MB" for role, mb in rss.items() if mb))


def profile_phase(instance: servers.Instance, turns, quick: bool, results: Dict) -> None:
    """Steady load (1 client) while py-spy samples both processes and the probe times the steps."""
    seconds = size("profile_s", quick)
    say(f"== {instance.label}: profiling {seconds} s of steady load (1 client) with py-spy …")
    for pid in instance.pids.values():
        os.kill(pid, signal.SIGUSR1)  # the probe starts counting afresh
    _poke(instance)
    recorders = []
    for role, pid in instance.pids.items():
        recorders += pyspy.start_recording(pid, OUT / "profile", f"{instance.label}-{role}", seconds)
    time.sleep(1)
    deadline = time.monotonic() + seconds - 2
    run = load.Run()
    while time.monotonic() < deadline:
        chunk = load.load([instance.url], turns, 1, 20, tag=f"{instance.label}-profile")
        run.latencies += chunk.latencies
    for recorder in recorders:
        recorder.wait(timeout=seconds + 60)
    for pid in instance.pids.values():
        os.kill(pid, signal.SIGUSR1)
    _poke(instance)
    time.sleep(1)
    results["profile"] = {"client_p50_ms": run.percentile(0.5) * 1000, "turns": len(run.latencies), "steps": {},
                          "categories": {}, "top": {}}
    for role in instance.pids:
        probe_file = OUT / "probe" / f"{instance.label}-{role}.json"
        data = json.loads(probe_file.read_text()) if probe_file.exists() else {}
        probe_file.with_suffix(".profile.json").write_text(json.dumps(data, indent=1))  # the phase alone
        results["profile"]["steps"][role] = data
        raw = OUT / "profile" / f"{instance.label}-{role}.txt"
        if raw.exists():
            results["profile"]["categories"][role] = pyspy.categorise(raw)
            results["profile"]["top"][role] = pyspy.top_functions(raw)


def growth_phase(instance: servers.Instance, turns, conversations: int, results: Dict) -> None:
    """Which steps grow with the conversation: the probe's figures for turns 1–5 and 56–60."""
    say(f"== {instance.label}: which steps grow between turns 1–5 and 56–60 ({conversations} conversations) …")
    pid, probe_file = instance.pids["rasa"], OUT / "probe" / f"{instance.label}-rasa.json"
    windows: Dict[str, Dict[str, list]] = {"turns 1–5": {}, "turns 56–60": {}}

    def bracket(window: Optional[str]) -> None:
        os.kill(pid, signal.SIGUSR1)
        _poke(instance)
        time.sleep(0.3)
        if window:
            for step, value in json.loads(probe_file.read_text()).items():
                entry = windows[window].setdefault(step, [0, 0.0])
                entry[0] += value["count"]
                entry[1] += value["seconds"]

    for number in range(conversations):
        sender = f"bench-growth-{instance.label}-{number}-{time.time_ns()}"
        for turn in range(1, LONG + 1):
            if turn in (1, LONG - 4):
                bracket(None)
            instance.bot.say(sender, turns[(turn - 1) % len(turns)])
            if turn in (5, LONG):
                bracket("turns 1–5" if turn == 5 else "turns 56–60")
    per_turn = 5 * conversations
    results.setdefault("profile", {})["growth_ms"] = {
        window: {step: seconds * 1000 / per_turn for step, (_count, seconds) in steps.items()}
        for window, steps in windows.items()}


def _poke(instance: servers.Instance) -> None:
    """A request to each process wakes its event loop, so a pending signal handler runs now."""
    for url in [f"{instance.url}/webhooks/rest/"] + (
            [f"http://127.0.0.1:{instance.bot.action_port}/health"] if instance.with_actions else []):
        try:
            urllib.request.urlopen(url, timeout=5).read()
        except OSError:
            pass


def measure_scaled(make_instance, turns, quick: bool, results: Dict, database: str) -> None:
    servers.recreate_database(database)
    instances = []
    try:
        for number in (1, 2):
            say(f"   starting instance {number} of 2 (PostgreSQL {database} + Redis) …")
            instances.append(make_instance(number).start())
        urls = [i.url for i in instances]
        for url in urls:
            load.warm_up(url, turns)
        for key, targets in (("scaled_one", urls[:1]), ("scaled_two", urls)):
            run = load.load(targets, turns, 20, size("scaled", quick), tag=f"{key}-{instances[0].label}")
            results[key] = run.summary()
            say(f"   {len(targets)} instance(s), 20 clients: {run.turns_per_second:.1f} turns/s, p50 "
                f"{run.percentile(.5) * 1000:.1f} ms, p95 {run.percentile(.95) * 1000:.1f} ms, errors {run.errors}")
        results["scaling"] = results["scaled_two"]["turns_per_s"] / results["scaled_one"]["turns_per_s"]
        results["scaled_rss"] = [i.rss() for i in instances]
    finally:
        for instance in instances:
            instance.stop()
        servers.recreate_database(database, drop_only=True)


def bench_bot(label: str, quick: bool, skip_scaled: bool, probe: bool, make_single, make_scaled, turns,
              database: str) -> Dict:
    results: Dict = {}
    with tempfile.TemporaryDirectory(prefix=f"bench-{label}-") as workdir:
        instance = make_single(Path(workdir) / "single", OUT / "probe" if probe else None)
        try:
            measure_single(instance, turns, quick, results)
            if probe:
                profile_phase(instance, turns, quick, results)
                growth_phase(instance, turns, 1 if quick else 2, results)
        finally:
            instance.stop()
        if not skip_scaled:
            say(f"== {label}: two instances sharing PostgreSQL and a Redis lock store …")
            measure_scaled(lambda n: make_scaled(Path(workdir) / f"scaled{n}", n), turns, quick, results, database)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs to check the harness")
    parser.add_argument("--profile", action="store_true", help="py-spy flame graphs and the step breakdown")
    parser.add_argument("--train", action="store_true", help="time a training of this bot (several minutes)")
    parser.add_argument("--cv", action="store_true", help="NLU cross-validation first (trains DIET --folds times)")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--skip-scaled", action="store_true", help="no two-instance runs")
    parser.add_argument("--only", choices=["stock", "finsam"], help="measure one bot (the ratios need both)")
    parser.add_argument("--report-only", action="store_true", help="rewrite report.md and plot.png from results.json")
    args = parser.parse_args()
    if args.report_only:
        saved = json.loads((OUT / "results.json").read_text())
        write_outputs(saved["floor"], saved["this_bot"], saved["meta"], "profile" in saved["meta"]["mode"])
        return
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    (OUT / "logs").mkdir(parents=True, exist_ok=True)
    if args.cv:
        cross_validation(args.folds)
    model = rasa_model.latest_model()
    if not model.exists() and args.only != "stock":
        sys.exit("Ingen tränad modell: kör make train först.")
    if model.exists() and model != rasa_model.model_path():
        say(f"Obs: the newest model {model.name} is not the one for the current data (make train makes that).")
    started, load_before = time.monotonic(), os.getloadavg()[0]
    if load_before > 1.0:
        say(f"Obs: load average {load_before:.1f} on {os.cpu_count()} cores before the run: the figures will be noisy.")
    stock_model, stock_train = stock.stock_bot(OUT / "logs")
    floor: Dict = {"train_s": stock_train}
    ours: Dict = {"train_s": this_bot_train_seconds(model, args.train) if args.only != "stock" else None}
    if args.only != "finsam":
        floor.update(bench_bot(
            "stock", args.quick, args.skip_scaled, args.profile,
            lambda workdir, probe_dir: servers.stock_bot(workdir, stock_model, stock.STOCK, probe_dir=probe_dir),
            lambda workdir, n: servers.stock_bot(
                workdir, stock_model, stock.STOCK, label=f"stock{n}",
                endpoints=servers.stock_scaled_endpoints(OUT / "stock-endpoints.scaled.yml",
                                                         "finsam_bench_stock", 3)),
            load.STOCK_TURNS, "finsam_bench_stock"))
    if args.only != "stock":
        env = servers.scaled_env("finsam_bench", 2)
        ours.update(bench_bot(
            "finsam", args.quick, args.skip_scaled, args.profile,
            lambda workdir, probe_dir: servers.this_bot(workdir, model, probe_dir=probe_dir),
            lambda workdir, n: servers.this_bot(workdir, model, label=f"finsam{n}", scaled=env),
            load.FINSAM_TURNS, "finsam_bench"))
    meta = {
        "when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load average {load_before:.1f} at the start "
                   f"and {os.getloadavg()[0]:.1f} at the end (above ~0.5 other work shared the cores: compare ratios "
                   "with care)",
        "mode": ("quick" if args.quick else "full") + (", profile" if args.profile else ""),
        "model": model.name, "plot": "plot.png", "seconds": time.monotonic() - started,
        "notes": notes(args.quick),
    }
    (OUT / "results.json").write_text(json.dumps({"floor": floor, "this_bot": ours, "meta": meta}, indent=1))
    write_outputs(floor, ours, meta, args.profile)


def write_outputs(floor: Dict, ours: Dict, meta: Dict, profiled: bool) -> None:
    report.plot(OUT / "plot.png", floor, ours)
    profile_md = profile_markdown(floor, ours) if profiled else ""
    report.write_report(OUT / "report.md", floor, ours, meta, profile_md)
    say(f"\nWrote {(OUT / 'report.md').relative_to(ROOT)}, plot.png and results.json "
        f"({meta['seconds'] / 60:.1f} min). Load average now {os.getloadavg()[0]:.1f}.")
    if profile_md:
        say(profile_md)
    say("\n== Ratios (this bot / stock floor)")
    for line in report.ratio_lines(floor, ours):
        say("  " + line)
    say("== Targets")
    for line in report.target_lines(floor, ours):
        say("  " + line)


def notes(quick: bool) -> list:
    sizes = {k: v[1 if quick else 0] for k, v in SIZES.items()}
    return [
        f"- Each bot answers its own kind of conversation through the REST channel: this bot FAQ questions "
        f"(action server) and small talk, the stock bot its greet/mood/bot-challenge stories. Conversations of "
        f"6 turns; {sizes['c1']} turns with 1 client, {sizes['c20']} with 20 clients (after 20 warm-up turns).",
        "- One instance: each bot's own endpoints (this bot: SQLite tracker store via bot/endpoints.yml; the "
        "stock bot: Rasa's defaults, in-memory tracker and lock store).",
        f"- Two instances: PostgreSQL tracker store + Redis lock store (this bot: bot/endpoints.scaled.yml, each "
        f"instance with its own action server; stock: build/bench/stock-endpoints.scaled.yml), {sizes['scaled']} "
        "turns from 20 clients, first to instance 1 alone, then round robin over both (no load balancer).",
        f"- Long conversations: {sizes['long_conversations']} × {LONG} turns, one client; "
        "median of turns 1–5 vs 56–60.",
        "- Train time: the stock bot's from its `rasa init` (cached until its files change); this bot's as recorded "
        "by `make train` (models/rasa/*.train.json) or timed with --train.",
        "- Start time: launch until the HTTP endpoint answers. RSS: /proc/<pid>/status after the single-instance runs.",
        "- All processes share the machine with the client, so absolute figures move with its load; compare ratios.",
    ]


def profile_markdown(floor: Dict, ours: Dict) -> str:
    lines = ["## Profile: where a turn goes (1 client, steady load)", "",
             "Flame graphs (py-spy, CPU samples, idle excluded): `build/bench/profile/*.svg`; wall-clock steps "
             "from the probe (scripts/benchlib/probe.py).", ""]
    for name, data in (("stock floor", floor), ("this bot", ours)):
        prof = data.get("profile")
        if not prof:
            continue
        lines += [f"### {name}: client p50 {prof['client_p50_ms']:.1f} ms over {prof['turns']} turns", ""]
        for role, steps in prof["steps"].items():
            turns = (steps.get("agent.handle_message (lock + turn)") or steps.get("HTTP request (Sanic, whole)")
                     or {}).get("count", 0)
            if not turns:
                continue
            lines += [f"{role}, wall clock per turn ({turns} turns):", "", "| step | calls/turn | ms/turn |",
                      "|---|---:|---:|"]
            for step, value in steps.items():
                lines.append(f"| {step} | {value['count'] / turns:.2f} | {value['seconds'] * 1000 / turns:.2f} |")
            lines.append("")
        growth = prof.get("growth_ms")
        if growth:
            early, late = growth["turns 1–5"], growth["turns 56–60"]
            lines += ["rasa, wall clock per turn as the conversation grows:", "",
                      "| step | turns 1–5 (ms) | turns 56–60 (ms) | growth |", "|---|---:|---:|---:|"]
            for step in late:
                a, b = early.get(step, 0.0), late[step]
                lines.append(f"| {step} | {a:.2f} | {b:.2f} | {(b / a if a else float('nan')):.2f}× |")
            lines.append("")
        for role, categories in prof["categories"].items():
            lines += [f"{role}, CPU samples by category: " + ", ".join(
                f"{cat} {share * 100:.0f}%" for cat, share in categories.items() if share >= 0.01), ""]
        for role, top in prof["top"].items():
            lines += [f"{role}, top self time: " + "; ".join(f"`{frame}` {share * 100:.0f}%"
                                                             for frame, share in top[:8]), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
