"""A small asyncio client for the REST channel: latency at a given concurrency, throughput, long conversations."""
from __future__ import annotations

import asyncio
import itertools
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Sequence

import aiohttp

# This bot: questions answered by the action server, plus the small talk people write between them.
FINSAM_TURNS = ["hej", "Vem kan söka medel?", "när är sista ansökningsdag", "vilka kriterier gäller",
                "hur går ansökan till", "tack", "hur mycket kan man max söka", "vad ska stå i en idéskiss",
                "kan en förening få pengar", "vilka målgrupper prioriteras"]
# The stock `rasa init` bot: its own stories (greet, mood, bot challenge, goodbye).
STOCK_TURNS = ["hello", "I am feeling sad", "yes", "are you a bot?", "hi", "great", "I am sad", "no",
               "who am I talking to?", "bye"]


@dataclass
class Run:
    """The latencies (seconds) of one measured run and its wall time."""

    latencies: List[float] = field(default_factory=list)
    wall: float = 0.0
    errors: int = 0
    by_turn: Dict[int, List[float]] = field(default_factory=dict)  # turn number in its conversation -> latencies

    @property
    def turns_per_second(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]

    def summary(self) -> Dict[str, float]:
        return {"n": len(self.latencies), "p50_ms": self.percentile(0.50) * 1000,
                "p95_ms": self.percentile(0.95) * 1000, "p99_ms": self.percentile(0.99) * 1000,
                "turns_per_s": self.turns_per_second, "errors": self.errors}


async def _say(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> float:
    started = time.perf_counter()
    async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as reply:
        body = await reply.json(content_type=None)
        if reply.status != 200 or not isinstance(body, list) or not body:
            raise RuntimeError(f"{reply.status}: {str(body)[:200]}")
    return time.perf_counter() - started


async def _load(urls: Sequence[str], turns: Sequence[str], concurrency: int, total_turns: int,
                conversation_length: int, tag: str) -> Run:
    run = Run()
    remaining = itertools.count()
    targets = itertools.cycle(urls)  # round robin over the instances, request by request
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        async def worker(number: int) -> None:
            conversation = 0
            while True:
                sender = f"bench-{tag}-{number}-{conversation}-{uuid.uuid4().hex[:6]}"
                for turn in range(conversation_length):
                    if next(remaining) >= total_turns:
                        return
                    text = turns[(turn + number) % len(turns)]
                    try:
                        seconds = await _say(session, next(targets), sender, text)
                    except Exception:  # counted; a benchmark never stops at one failure
                        run.errors += 1
                        continue
                    run.latencies.append(seconds)
                    run.by_turn.setdefault(turn + 1, []).append(seconds)
                conversation += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        run.wall = time.perf_counter() - started
    return run


def load(urls: Sequence[str], turns: Sequence[str], concurrency: int, total_turns: int,
         conversation_length: int = 6, tag: str = "load") -> Run:
    """`concurrency` clients, each in its own conversations of `conversation_length` turns."""
    return asyncio.run(_load(urls, turns, concurrency, total_turns, conversation_length, tag))


def warm_up(url: str, turns: Sequence[str], count: int = 20) -> None:
    load([url], turns, 2, count, conversation_length=len(turns), tag="warmup")


def long_conversations(url: str, turns: Sequence[str], length: int, conversations: int) -> Run:
    """One client, `conversations` conversations of `length` turns each (the tracker grows)."""
    return load([url], turns, 1, length * conversations, conversation_length=length, tag="long")


def window(run: Run, first: int, last: int) -> float:
    """Median latency (ms) of turns first..last of the conversations in `run`."""
    samples = [s for turn in range(first, last + 1) for s in run.by_turn.get(turn, [])]
    return statistics.median(samples) * 1000 if samples else float("nan")
