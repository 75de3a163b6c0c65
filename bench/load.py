"""A bounded loopback load generator for Rasa's REST channel.

Closed loop: ``concurrency`` clients each take the next conversation from a shared list and send
its messages one after the other (a new, unique sender per conversation). About a third of the
conversations have a follow-up in the same conversation. Bounded by a number of conversations and
a per-request timeout, so a slow server cannot make the benchmark run for ever.
"""
from __future__ import annotations

import asyncio
import csv
import random
import statistics
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent

FOLLOW_UPS = {
    "zh": ["需要带什么材料？", "要多少钱？", "在哪里办？", "要多久？", "可以网上办吗？", "几点上班？"],
    "en": ["What documents do I need?", "How much does it cost?", "Where do I go?", "How long does it take?",
           "Can I do it online?", "What are the opening hours?"],
}


@dataclass
class LoadResult:
    """Figures of one load level."""

    concurrency: int
    messages: int
    errors: int
    timeouts: int
    seconds: float
    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    latencies_ms: list = field(default_factory=list, repr=False)

    def summary(self) -> dict:
        out = asdict(self)
        out.pop("latencies_ms")
        return out


def questions(limit: int | None = None, seed: int = 7) -> list[tuple[str, str]]:
    """(lang, text) of in-scope questions of the dev set, shuffled (zh-Hant and mixed count as zh)."""
    rows = []
    with (ROOT / "eval" / "dev_messages.tsv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if r["service"] not in ("OOS", "CHITCHAT"):
                rows.append(("en" if r["lang"] == "en" else "zh", r["text"]))
    random.Random(seed).shuffle(rows)
    return rows[:limit] if limit else rows


def conversations(n: int, seed: int = 7) -> list[list[str]]:
    """``n`` conversations: each an in-scope question, a third of them with a follow-up."""
    rng = random.Random(seed)
    pool = questions(seed=seed)
    out = []
    for i in range(n):
        lang, text = pool[i % len(pool)]
        turns = [text]
        if i % 3 == 0:
            turns.append(rng.choice(FOLLOW_UPS[lang]))
        out.append(turns)
    return out


def _pct(samples: list[float], q: int) -> float:
    if len(samples) < 2:
        return samples[0] if samples else 0.0
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


async def run_load(url: str, convs: list[list[str]], concurrency: int, timeout: float = 10.0,
                   token: str | None = None) -> LoadResult:
    """Sends ``convs`` with ``concurrency`` clients to ``url``/webhooks/rest/webhook."""
    queue: asyncio.Queue = asyncio.Queue()
    for c in convs:
        queue.put_nowait(c)
    latencies: list[float] = []
    errors = timeouts = 0
    endpoint = url.rstrip("/") + "/webhooks/rest/webhook"
    headers = {"Authorization": f"Bearer {token}"} if token else None  # REST_TOKEN (production)
    client_timeout = aiohttp.ClientTimeout(total=timeout)

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal errors, timeouts
        while True:
            try:
                turns = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            sender = f"bench-{uuid.uuid4().hex[:12]}"
            for text in turns:
                t0 = time.perf_counter()
                try:
                    async with session.post(endpoint, json={"sender": sender, "message": text},
                                            headers=headers) as resp:
                        body = await resp.json(content_type=None)
                        if resp.status != 200 or not body:
                            errors += 1
                            continue
                except asyncio.TimeoutError:
                    timeouts += 1
                    continue
                except aiohttp.ClientError:
                    errors += 1
                    continue
                latencies.append(1000 * (time.perf_counter() - t0))

    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(timeout=client_timeout, connector=connector) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    ok = len(latencies)
    return LoadResult(
        concurrency=concurrency, messages=ok, errors=errors, timeouts=timeouts, seconds=round(wall, 2),
        throughput=round(ok / wall, 1) if wall else 0.0,
        p50_ms=round(_pct(latencies, 50), 1), p95_ms=round(_pct(latencies, 95), 1),
        p99_ms=round(_pct(latencies, 99), 1), max_ms=round(max(latencies, default=0.0), 1),
        latencies_ms=latencies,
    )


def load(url: str, n_conversations: int, concurrency: int, timeout: float = 10.0, seed: int = 7,
         token: str | None = None) -> LoadResult:
    """Synchronous wrapper of :func:`run_load` (fresh conversations for each call)."""
    return asyncio.run(run_load(url, conversations(n_conversations, seed=seed), concurrency, timeout, token))


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", default="http://127.0.0.1:5005")
    ap.add_argument("--conversations", type=int, default=150)
    ap.add_argument("--concurrency", type=int, default=10)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    print(load(a.url, a.conversations, a.concurrency, seed=a.seed).summary())
