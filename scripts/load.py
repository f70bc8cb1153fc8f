"""Load test (`make load`; not part of `make test`): many conversations at once, FAQ questions
and whole idea sketches, against
  single  – one action server + one Rasa with the SQLite tracker store, as `make serve` runs them;
  scaled  – two action servers + two Rasa instances sharing PostgreSQL (database finsam_load,
            created and dropped here) and Redis (LOAD_REDIS_DB, default 12, flushed), behind
            nginx from Debian (config generated under build/load/, `nginx -c … -p build/load`).

    python scripts/load.py                          # both, 200 conversations × 15 turns
    python scripts/load.py --mode single --conversations 20 --turns 15

Checks: no errors (HTTP, time-outs, the apology, a submit without a draft), no cross-talk (every
reply, every draft in DRAFTS_DIR – JSON, Markdown, Word – and every mail the local SMTP sink got
holds only its own conversation's marker and e-mail). Prints progress, then turn latency
p50/p95/p99, turns/s and the RSS of each process before and after; writes build/load/report.md.

The production rate limits stay as they are: each web conversation comes from its own address
(X-Forwarded-For from 198.18.0.0/15, TRUSTED_PROXY=127.0.0.1), as real visitors do. The REST
channel has no rate limits; it needs REST_CHANNEL_TOKEN, set to a random value for the run.
"""
from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests"))

import load_client  # noqa: E402
import rasa_model  # noqa: E402
from live import LiveBot, free_port, wait_until_up  # noqa: E402
from load_client import SKETCH, Stats, markers_in, percentile  # noqa: E402

BUILD = ROOT / "build" / "load"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
LOAD_DB = "finsam_load"
NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {build}/nginx.pid;
error_log {build}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {build}/nginx-tmp;
    proxy_temp_path {build}/nginx-tmp;
    upstream finsam {{
{servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://finsam;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # A turn waits for Rasa; at 200 conversations on two cores that can be long.
            proxy_read_timeout 900s;
            proxy_send_timeout 900s;
        }}
    }}
}}
"""


class Inbox:
    def __init__(self):
        self.messages: List[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


# ----------------------------------------------------------------------------- processes


def rss_kb(pid: int) -> int:
    """Resident memory of a process and its children, in kB (from /proc)."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += rss_kb(int(child))
    except (OSError, ValueError):
        pass
    return total


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if found:
        return found
    if os.geteuid() != 0:
        return ""
    print("== Installerar Debians nginx-light för lastbalanseraren", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "nginx-light"], check=False,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")


def start_nginx(binary: str, build: Path, upstreams: List[str]) -> Tuple[subprocess.Popen, int]:
    port = free_port()
    (build / "nginx-tmp").mkdir(parents=True, exist_ok=True)
    conf = build / "nginx.conf"
    conf.write_text(NGINX_CONF.format(build=build, port=port, servers="\n".join(
        f"        server {u} max_fails=0;" for u in upstreams)), encoding="utf-8")
    log = build / "nginx.log"
    process = subprocess.Popen([binary, "-c", str(conf), "-p", str(build)], stdout=open(log, "ab"),
                               stderr=subprocess.STDOUT)
    wait_until_up(f"http://127.0.0.1:{port}/webhooks/rest/", process, 30, log)
    return process, port


def reset_database(create: bool) -> None:
    import psycopg2

    db = psycopg2.connect(dbname="postgres", **PG)
    db.autocommit = True
    with db.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {LOAD_DB} WITH (FORCE)")
        if create:
            cursor.execute(f"CREATE DATABASE {LOAD_DB}")
    db.close()


def flush_redis(db: int) -> None:
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()


# ----------------------------------------------------------------------------- checks


def check_drafts(drafts_dir: Path, stats: Stats) -> int:
    """Every draft folder in DRAFTS_DIR: the files hold only their conversation's answers and e-mail."""
    import docx

    checked = 0
    by_marker = {info["marker"]: (reference, info) for reference, info in stats.drafts.items()}
    for folder in sorted(p for p in drafts_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        checked += 1
        data = json.loads((folder / "draft.json").read_text(encoding="utf-8"))
        found = markers_in(json.dumps(data, ensure_ascii=False))
        if len(found) != 1:
            stats.crosstalk.append(f"draft {folder.name}: markers {sorted(found)} (JSON)")
            continue
        mark = found.pop()
        reference, info = by_marker.get(mark, (None, None))
        if reference != folder.name:
            stats.crosstalk.append(f"draft {folder.name}: marker {mark} was given reference {reference}")
            continue
        answers = [q["answer"] or "" for q in data["questions"]] + [data["parties"] or ""] + \
            [data["contact"][k] or "" for k in ("name", "organisation", "role", "email")]
        if data["contact"]["email"] != info["email"] or not all(mark in a.lower() for a in answers):
            stats.crosstalk.append(f"draft {folder.name}: e-mail {data['contact']['email']!r} or an answer "
                                   f"is not this conversation's ({mark})")
        markdown = (folder / "draft.md").read_text(encoding="utf-8")
        words = "\n".join(p.text for p in docx.Document(str(folder / "draft.docx")).paragraphs)
        tables = "\n".join(c.text for t in docx.Document(str(folder / "draft.docx")).tables
                           for r in t.rows for c in r.cells)
        for name, text in (("Markdown", markdown), ("Word", words + tables)):
            if markers_in(text) != {mark} or info["email"] not in text:
                stats.crosstalk.append(f"draft {folder.name} ({name}): markers {sorted(markers_in(text))}")
    missing = set(stats.drafts) - {p.name for p in drafts_dir.iterdir()}
    for reference in sorted(missing):
        stats.errors.append(f"draft {reference} was announced but is not in DRAFTS_DIR")
    return checked


def check_mails(inbox: Inbox, stats: Stats, wait: float = 120.0) -> int:
    deadline = time.monotonic() + wait
    while len(inbox.messages) < len(stats.drafts) and time.monotonic() < deadline:
        time.sleep(1)
    seen: Dict[str, int] = {}
    for message in inbox.messages:
        text = message["Subject"] + "\n" + "\n".join(
            part.get_content() for part in message.walk() if part.get_content_maintype() == "text")
        found = markers_in(text)
        reference = next((r for r, info in stats.drafts.items() if r in message["Subject"]), None)
        if reference is None or found != {stats.drafts[reference]["marker"]} or \
                stats.drafts[reference]["email"] not in text:
            stats.crosstalk.append(f"mail {message['Subject']!r}: markers {sorted(found)}")
        seen[reference] = seen.get(reference, 0) + 1
    if len(inbox.messages) != len(stats.drafts) or any(n != 1 for n in seen.values()):
        stats.errors.append(f"{len(inbox.messages)} mails for {len(stats.drafts)} drafts")
    return len(inbox.messages)


# ----------------------------------------------------------------------------- one run


def warm_up(url: str, token: str, run: str) -> None:
    """A few turns so lazily loaded parts (spaCy, TensorFlow graphs) are not counted as a leak."""
    other = "zz" if run != "zz" else "yy"  # markers the measured run never uses
    conversations = load_client.plan(4, 15, other)
    for conv in conversations:
        conv.turns = conv.turns[:3]
    asyncio.run(load_client.run_load(url, conversations, other, token, Stats(), progress_every=60))


def run_mode(mode: str, args, model: Path, inbox_port: int, inbox: Inbox) -> dict:
    build = BUILD / mode
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    drafts = build / "drafts"
    token = secrets.token_urlsafe(24)
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(inbox_port), "SMTP_SECURITY": "none",
           "KANSLI_EMAIL": "kansli@example.se", "SMTP_FROM": "idéskiss@example.se", "OUTBOX_RETRY_SECONDS": "5",
           "REST_CHANNEL_TOKEN": token, "TRUSTED_PROXY": "127.0.0.1",
           "DRAFT_LINK_SECRET": secrets.token_urlsafe(32), "DRAFTS_DIR": str(drafts)}
    bots, nginx = [], None
    redis_db = int(os.environ.get("LOAD_REDIS_DB", "12"))
    if mode == "scaled":
        reset_database(create=True)
        flush_redis(redis_db)
        env.update({"DB_HOST": "127.0.0.1", "DB_PORT": "5432", "DB_NAME": LOAD_DB, "DB_USER": "postgres",
                    "DB_PASSWORD": "", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB": str(redis_db),
                    "REDIS_PASSWORD": ""})
    try:
        for index in range(2 if mode == "scaled" else 1):
            workdir = build / f"instance{index + 1}"
            workdir.mkdir()
            bot = LiveBot(workdir, model, extra_env=env,
                          endpoints="bot/endpoints.scaled.yml" if mode == "scaled" else "bot/endpoints.yml")
            print(f"== {mode}: startar action-server och Rasa {index + 1} (port {bot.rasa_port}) …", flush=True)
            bots.append(bot.start())
        processes = {}
        for index, bot in enumerate(bots, start=1):
            processes[f"action server {index}"] = bot.processes[0].pid
            processes[f"rasa {index}"] = bot.processes[1].pid
        url = bots[0].url
        if mode == "scaled":
            nginx, port = start_nginx(args.nginx, build, [f"127.0.0.1:{b.rasa_port}" for b in bots])
            processes["nginx"] = nginx.pid
            url = f"http://127.0.0.1:{port}"
        started_rss = {name: rss_kb(pid) for name, pid in processes.items()}
        warm_up(url, token, args.run)
        inbox.messages.clear()
        shutil.rmtree(drafts, ignore_errors=True)
        drafts.mkdir()
        before = {name: rss_kb(pid) for name, pid in processes.items()}
        stats, seconds, rounds, planned = Stats(), 0.0, [], 0
        for number in range(1, args.rounds + 1):  # the same servers again: does memory keep growing?
            run = args.run if number == 1 else "".join(secrets.choice("abcdefghijklmnopqrstuvwxy") for _ in "ab")
            conversations = load_client.plan(args.conversations, args.turns, run)
            planned += sum(len(c.turns) for c in conversations)
            print(f"== {mode}: omgång {number}/{args.rounds}: {len(conversations)} samtal × upp till {args.turns} "
                  f"repliker mot {url}", flush=True)
            seconds += asyncio.run(load_client.run_load(url, conversations, run, token, stats))
            rounds.append({name: rss_kb(pid) for name, pid in processes.items()})
        drafts_checked = check_drafts(drafts, stats)
        mails = check_mails(inbox, stats)
        return {"mode": mode, "url": url, "seconds": seconds, "stats": stats, "started": started_rss,
                "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "before": before, "after": rounds[-1], "rounds": rounds, "drafts_checked": drafts_checked,
                "mails": mails, "conversations": len(conversations) * args.rounds, "planned_turns": planned}
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=30)
        for bot in bots:
            bot.stop()
        if mode == "scaled":
            reset_database(create=False)
            flush_redis(redis_db)


# ----------------------------------------------------------------------------- report


def summary(result: dict) -> List[str]:
    stats: Stats = result["stats"]
    lat = stats.latencies
    lines = [
        f"### {result['mode']} ({result['url']})",
        "",
        f"- samtal: {result['conversations']} ({stats.finished} hela), repliker: {stats.turns} av "
        f"{result['planned_turns']} på {result['seconds']:.0f} s",
        f"- **fel: {len(stats.errors)}**, **korsprat: {len(stats.crosstalk)}**, avvikelser i dialogen "
        f"(NLU, inte fel i lasten): {len(stats.deviations)}",
        f"- latens per replik: p50 {percentile(lat, .50):.2f} s, p95 {percentile(lat, .95):.2f} s, "
        f"p99 {percentile(lat, .99):.2f} s, max {max(lat, default=float('nan')):.2f} s",
        f"- genomströmning: {stats.turns / result['seconds']:.1f} repliker/s",
        f"- utkast: {len(stats.drafts)} inskickade, {result['drafts_checked']} kontrollerade i DRAFTS_DIR "
        f"(JSON, Markdown, Word); e-post: {result['mails']}",
        "",
        "| process | RSS vid start | före lasten (efter uppvärmning) | efter lasten | tillväxt |",
        "|---|---|---|---|---|",
    ]
    for name in result["before"]:
        start, before, after = result["started"][name], result["before"][name], result["after"][name]
        lines.append(f"| {name} | {start / 1024:.0f} MB | {before / 1024:.0f} MB | {after / 1024:.0f} MB | "
                     f"{(after - before) / 1024:+.0f} MB ({(after - before) / max(before, 1) * 100:+.1f} %) |")
    if len(result.get("rounds", [])) > 1:
        lines += ["", "RSS efter varje omgång (samma processer): " + "; ".join(
            f"{name} " + " → ".join(f"{r[name] / 1024:.0f}" for r in result["rounds"]) + " MB"
            for name in result["before"])]
    for title, items in (("Fel", stats.errors), ("Korsprat", stats.crosstalk), ("Avvikelser", stats.deviations)):
        if items:
            lines += ["", f"{title} (de första 20):", ""] + [f"- {item}" for item in items[:20]]
    return lines + [""]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--turns", type=int, default=15, help="repliker per samtal (högst 15 för en idéskiss)")
    parser.add_argument("--mode", choices=["single", "scaled", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=1,
                        help="kör lasten så många gånger mot samma processer (minnet efter varje omgång)")
    args = parser.parse_args(argv)
    args.run = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(2))
    model = rasa_model.latest_model()
    if not model.exists():
        print("Ingen tränad modell under models/rasa/: kör `make train` först.", file=sys.stderr)
        return 2
    modes = ["single", "scaled"] if args.mode == "both" else [args.mode]
    skipped = []
    if "scaled" in modes:
        from conftest import service_available

        args.nginx = nginx_binary()
        reason = ("nginx saknas och skriptet körs inte som root (installera Debians nginx-light)"
                  if not args.nginx else "" if service_available("127.0.0.1", 5432) and
                  service_available("127.0.0.1", 6379) else "PostgreSQL (5432) eller Redis (6379) svarar inte")
        if reason:
            print(f"== Hoppar över två instanser bakom nginx: {reason}", flush=True)
            skipped.append(reason)
            modes.remove("scaled")
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    BUILD.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for mode in modes:
            results.append(run_mode(mode, args, model, smtp.port, inbox))
            print("\n".join(summary(results[-1])), flush=True)
    finally:
        smtp.stop()
    load_avg = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    for result in results:  # one file per mode, so a run of one mode keeps the other's figures
        (BUILD / f"report-{result['mode']}.md").write_text("\n".join(
            [f"klar {result['finished']}, modell {model.name}, belastning när rapporten skrevs {load_avg}, "
             f"`scripts/load.py --conversations {args.conversations} --turns {args.turns} --rounds {args.rounds} "
             f"--mode {result['mode']}`", ""] + summary(result)) + "\n", encoding="utf-8")
    report = ["# Lasttest", "", f"{os.cpu_count()} kärnor. Kör igen: `make load` (båda), eller "
              "`make load LOAD_ARGS=\"--mode single --conversations 200 --turns 15\"`.", "",
              f"Varje samtal: {len(SKETCH) + 2} repliker idéskiss (start, 13 svar, skicka in) eller FAQ-frågor ur "
              "tests/data/questions.yml; hälften REST (token), hälften webbkanalen (egen adress per samtal).", ""]
    for mode in ("single", "scaled"):
        part = BUILD / f"report-{mode}.md"
        if part.exists():
            text = part.read_text(encoding="utf-8").split("\n")
            report += text[2:3] + text[:1] + [""] + text[3:]
    report += [f"Två instanser hoppades över: {reason}" for reason in skipped]
    (BUILD / "report.md").write_text("\n".join(report) + "\n", encoding="utf-8")
    print(f"\nRapport: {(BUILD / 'report.md').relative_to(ROOT)}")
    failed = any(r["stats"].errors or r["stats"].crosstalk for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
