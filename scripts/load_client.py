"""The load test's client side (scripts/load.py runs it): many conversations at once over
aiohttp, each either FAQ questions as people type them (tests/data/questions.yml) or a whole
idea sketch through the form to a submitted draft, half through the REST channel and half
through the web channel. Every answer of a conversation carries the conversation's marker
("Zq" + five letters), so any reply, draft or mail that holds another conversation's marker is
cross-talk.
"""
from __future__ import annotations

import asyncio
import json
import random
import re
import string
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parent.parent
# Case-sensitive and not inside a longer word: a draft reference (IDS-20261201-DZQZJFNIQO5LBALD)
# is random upper-case letters and once held "ZQZJFNI" (a false alarm in the first --rounds run).
MARKER = re.compile(r"(?<![A-Za-z0-9])[Zz]q[a-z]{5}")
APOLOGY = "Något gick fel hos mig"
# The form's questions in order (as tests/test_live_bot.py checks them) and an answer for each,
# with {m} for the conversation's marker. 1 + 13 + 1 = 15 turns: start, answers, submit.
SKETCH = [
    ("title", "Fråga 1 av 8", "Gemensam väg till arbete {m}"),
    ("background", "Fråga 2 av 8", "Unga vuxna med psykisk ohälsa hamnar mellan stolarna när FK, AF och "
                                  "kommunen arbetar var för sig, se {m}."),
    ("solution", "Fråga 3 av 8", "Ett gemensamt team med en coach från AF och en arbetsterapeut från regionen "
                                "som utgår från deltagarnas styrkor ({m})."),
    ("target_group", "Fråga 4 av 8", "Unga vuxna 18-29 år med aktivitetsersättning, med praktik och "
                                    "studiebesök som aktiviteter ({m})."),
    ("coordination", "Fråga 5 av 8", "Deltagaren har en kontaktperson och personalen har gemensamma "
                                    "ärendedragningar varje vecka ({m})."),
    ("measurement", "Fråga 6 av 8", "Vi mäter med enkäter före och efter insatsen och följer upp hur många "
                                   "som börjar arbeta eller studera ({m})."),
    ("governance", "Fråga 7 av 8", "En styrgrupp med chefer från alla parter, Karlshamns kommun är huvudman, "
                                  "budget cirka en miljon per år ({m})."),
    ("anchoring", "Fråga 8 av 8", "Idén är förankrad i ledningsgrupperna och ska bli ordinarie verksamhet "
                                 "efter projektet ({m})."),
    ("parties", "Vilka parter deltar", "Karlshamns kommun som huvudman tillsammans med Arbetsförmedlingen "
                                       "och Försäkringskassan ({m})"),
    ("contact_name", "Vad heter du", "Anna {M}son"),
    ("organisation", "Vilken organisation", "Karlshamns kommun {m}"),
    ("role", "Vilken roll", "samordnare på arbetsmarknadsenheten {m}"),
    ("email", "Vilken e-postadress", "anna.{m}@karlshamn.se"),
]
START = "jag har en idé"
SUBMIT = "skicka in den till kansliet"


def faq_questions(path: Path = ROOT / "tests" / "data" / "questions.yml") -> List[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [q["q"] for section in data["sections"] for q in section["questions"]]


def marker(run: str, index: int) -> str:
    """Zq + five lower-case letters, unique per conversation of a run (no digits: nothing a
    personnummer redaction could touch)."""
    letters, n = [], index
    for _ in range(3):
        n, digit = divmod(n, 26)
        letters.append(string.ascii_lowercase[digit])
    return "zq" + run + "".join(reversed(letters))


def markers_in(text: str) -> set:
    return {m.lower() for m in MARKER.findall(text or "")}


@dataclass
class Stats:
    latencies: List[float] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    crosstalk: List[str] = field(default_factory=list)
    deviations: List[str] = field(default_factory=list)
    turns: int = 0
    finished: int = 0
    drafts: Dict[str, dict] = field(default_factory=dict)  # reference -> {marker, email, channel}


@dataclass
class Conversation:
    index: int
    kind: str      # "sketch" or "faq"
    channel: str   # "rest" or "web"
    mark: str
    turns: List[str]
    address: str
    sender: str = ""
    session: str = ""

    @property
    def email(self) -> str:
        return f"anna.{self.mark}@karlshamn.se"


def plan(count: int, turns: int, run: str, seed: int = 12) -> List[Conversation]:
    """Every second conversation a sketch, every other pair through the web channel."""
    questions = faq_questions()
    rng = random.Random(seed)
    conversations = []
    for index in range(count):
        mark = marker(run, index)
        kind = "sketch" if index % 2 == 0 else "faq"
        channel = "web" if (index // 2) % 2 == 0 else "rest"
        if kind == "sketch":
            steps = [START] + [answer.format(m=mark, M=mark.capitalize()) for _, _, answer in SKETCH] + [SUBMIT]
            steps = steps[:turns] if turns < len(steps) else steps
        else:
            steps = rng.sample(questions, min(turns, len(questions)))
        # 198.18.0.0/15 is for benchmarks: one address per conversation, as real visitors have.
        address = f"198.18.{index // 250}.{index % 250 + 1}"
        conversations.append(Conversation(index, kind, channel, mark, steps, address))
    return conversations


class Client:
    def __init__(self, base_url: str, stats: Stats, rest_token: str, timeout: float = 900.0):
        self.base_url = base_url.rstrip("/")
        self.stats = stats
        self.rest_token = rest_token
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def _post(self, http: aiohttp.ClientSession, path: str, payload: Any,
                    headers: Dict[str, str]) -> Tuple[int, Any]:
        async with http.post(self.base_url + path, json=payload, headers=headers) as reply:
            body = await reply.text()
            try:
                return reply.status, json.loads(body)
            except ValueError:
                return reply.status, body

    async def turn(self, http: aiohttp.ClientSession, conv: Conversation, text: str) -> Optional[List[dict]]:
        """One message; the bot's messages as a list of {text, buttons, reference}, or None on error."""
        started = time.monotonic()
        where = f"#{conv.index} {conv.channel} turn {text[:30]!r}"
        try:
            if conv.channel == "rest":
                status, body = await self._post(http, "/webhooks/rest/webhook",
                                                {"sender": conv.sender, "message": text},
                                                {"Authorization": f"Bearer {self.rest_token}"})
            else:
                status, body = await self._post(http, "/webhooks/web/message", {"message": text},
                                                {"X-Finsam-Session": conv.session, "X-Forwarded-For": conv.address})
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            self.stats.errors.append(f"{where}: {type(error).__name__} {error}")
            return None
        self.stats.latencies.append(time.monotonic() - started)
        self.stats.turns += 1
        if status != 200:
            self.stats.errors.append(f"{where}: HTTP {status} {str(body)[:200]}")
            return None
        messages = self._messages(conv, body, where)
        if messages is None:
            return None
        if any(APOLOGY in (m.get("text") or "") for m in messages):
            self.stats.errors.append(f"{where}: the apology ({APOLOGY}…)")
            return None
        foreign = set().union(*(markers_in(json.dumps(m, ensure_ascii=False)) for m in messages)) - {conv.mark}
        if foreign:
            self.stats.crosstalk.append(f"{where}: reply holds other conversations' markers {sorted(foreign)}")
        return messages

    def _messages(self, conv: Conversation, body: Any, where: str) -> Optional[List[dict]]:
        if conv.channel == "rest":
            if not isinstance(body, list):
                self.stats.errors.append(f"{where}: not a list: {str(body)[:200]}")
                return None
            others = {m.get("recipient_id") for m in body} - {conv.sender}
            if others:
                self.stats.crosstalk.append(f"{where}: replies addressed to {sorted(map(str, others))}")
            return [{"text": m.get("text"), "buttons": m.get("buttons"),
                     "reference": (m.get("custom") or {}).get("draft_reference")} for m in body]
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            self.stats.errors.append(f"{where}: unexpected body {str(body)[:200]}")
            return None
        result = []
        for m in body["messages"]:
            url = m.get("draft_url") or ""
            reference = url.split("/")[1] if url.startswith("drafts/") else None
            result.append({"text": m.get("text"), "buttons": m.get("buttons"), "reference": reference,
                           "draft_md_url": m.get("draft_md_url")})
        return result

    async def conversation(self, http: aiohttp.ClientSession, conv: Conversation, run: str) -> None:
        conv.sender = f"load-{run}-{conv.index}"
        if conv.channel == "web":
            status, body = await self._post(http, "/webhooks/web/session", {}, {"X-Forwarded-For": conv.address})
            if status != 200 or not isinstance(body, dict) or "session" not in body:
                self.stats.errors.append(f"#{conv.index} web session: HTTP {status} {str(body)[:200]}")
                return
            conv.session = body["session"]
        for step, text in enumerate(conv.turns):
            messages = await self.turn(http, conv, text)
            if messages is None:
                return  # the conversation cannot go on sensibly; the error is counted
            if conv.kind == "sketch":
                await self._check_sketch_step(http, conv, step, messages)
            elif not any((m.get("text") or "").strip() for m in messages):
                self.stats.deviations.append(f"#{conv.index} faq {text!r}: no answer")
        self.stats.finished += 1

    async def _check_sketch_step(self, http: aiohttp.ClientSession, conv: Conversation, step: int,
                                 messages: List[dict]) -> None:
        reply = "\n".join(m.get("text") or "" for m in messages)
        if step < len(SKETCH):  # after "jag har en idé" and each answer but the last: the next question
            expected = SKETCH[step][1]
            if expected not in reply:
                self.stats.deviations.append(f"#{conv.index} step {step}: expected {expected!r}, got {reply[:160]!r}")
            return
        if step == len(SKETCH):
            if "Här är din idéskiss" not in reply or conv.mark not in reply.lower():
                self.stats.deviations.append(f"#{conv.index}: no summary with the answers: {reply[:160]!r}")
            return
        reference = next((m["reference"] for m in messages if m.get("reference")), None)
        if reference is None:
            self.stats.errors.append(f"#{conv.index}: submitted but no draft reference: {reply[:200]!r}")
            return
        if reference in self.stats.drafts:
            self.stats.crosstalk.append(f"#{conv.index}: reference {reference} already given to "
                                        f"{self.stats.drafts[reference]['marker']}")
        self.stats.drafts[reference] = {"marker": conv.mark, "email": conv.email, "channel": conv.channel}
        if conv.channel == "web":  # the signed link works, on whichever instance, and gives our draft
            link = next((m["draft_md_url"] for m in messages if m.get("draft_md_url")), None)
            async with http.get(f"{self.base_url}/webhooks/web/{link}") as answer:
                text = await answer.text()
            if answer.status != 200:
                self.stats.errors.append(f"#{conv.index}: draft link HTTP {answer.status} {text[:200]}")
            elif markers_in(text) != {conv.mark} or conv.email not in text:
                self.stats.crosstalk.append(f"#{conv.index}: downloaded draft holds {sorted(markers_in(text))}")


async def run_load(base_url: str, conversations: List[Conversation], run: str, rest_token: str,
                   stats: Stats, progress_every: float = 5.0) -> float:
    """Runs every conversation at once; returns the wall time in seconds."""
    client = Client(base_url, stats, rest_token)
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    started = time.monotonic()
    total = sum(len(c.turns) for c in conversations)

    turns0, finished0 = stats.turns, stats.finished  # the stats may carry an earlier round

    async def progress() -> None:
        last_turns, last_time = stats.turns, started
        while True:
            await asyncio.sleep(progress_every)
            now = time.monotonic()
            recent = sorted(stats.latencies[-200:])
            median = recent[len(recent) // 2] if recent else 0.0
            print(f"  {now - started:6.0f} s  turns {stats.turns - turns0}/{total}  conversations done "
                  f"{stats.finished - finished0}/{len(conversations)}  "
                  f"{(stats.turns - last_turns) / (now - last_time):5.1f} "
                  f"turns/s  recent p50 {median:5.2f} s  errors {len(stats.errors)}  cross-talk "
                  f"{len(stats.crosstalk)}", flush=True)
            last_turns, last_time = stats.turns, now

    async with aiohttp.ClientSession(connector=connector, timeout=client.timeout) as http:
        reporter = asyncio.create_task(progress())
        try:
            await asyncio.gather(*(client.conversation(http, conv, run) for conv in conversations))
        finally:
            reporter.cancel()
    return time.monotonic() - started


def percentile(values: List[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(fraction * len(ordered) + 0.5)) - 1))]
