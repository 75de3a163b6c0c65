"""Prints speed and memory figures: KB search latency, REST round-trip latency and throughput
(sequential and concurrent), and the servers' resident memory."""
from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentiles(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100)
    return f"p50 {1000 * q[49]:.1f} ms, p95 {1000 * q[94]:.1f} ms, max {1000 * max(samples):.1f} ms"


def dev_texts(limit: int) -> list[str]:
    with (ROOT / "eval" / "dev_messages.tsv").open(encoding="utf-8") as f:
        return [r["text"] for r in csv.DictReader(f, delimiter="\t")][:limit]


def bench_search(texts: list[str]) -> None:
    from knowledge_base.access import KnowledgeBaseAccess

    kb = KnowledgeBaseAccess.from_settings()
    kb.search("warm up")
    samples = []
    for t in texts:
        t0 = time.perf_counter()
        kb.search(t)
        samples.append(time.perf_counter() - t0)
    print(f"search ({len(texts)} queries): {percentiles(samples)}")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bench_stack(texts: list[str], concurrency: int) -> None:
    from tests.stack import BotStack, trained_model

    stack = BotStack(Path(tempfile.mkdtemp(prefix="bench-"))).start(trained_model())
    try:
        stack.say("warmup", "你好")
        seq = []
        for t in texts:
            t0 = time.perf_counter()
            stack.say(f"bench-{uuid.uuid4().hex[:8]}", t)
            seq.append(time.perf_counter() - t0)
        print(f"REST round trip, sequential ({len(texts)} messages): {percentiles(seq)}")

        def one(t: str) -> float:
            t0 = time.perf_counter()
            stack.say(f"bench-{uuid.uuid4().hex[:8]}", t)
            return time.perf_counter() - t0

        t0 = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            conc = list(pool.map(one, texts))
        wall = time.perf_counter() - t0
        print(f"REST round trip, {concurrency} concurrent: {percentiles(conc)}; "
              f"throughput {len(texts) / wall:.1f} messages/s")
        rasa, actions = stack.procs[1].pid, stack.procs[0].pid
        print(f"memory (RSS): Rasa server {rss_mb(rasa):.0f} MB, action server {rss_mb(actions):.0f} MB")
    finally:
        stack.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--messages", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--skip-stack", action="store_true")
    a = ap.parse_args()
    texts = dev_texts(a.messages)
    bench_search(texts)
    if not a.skip_stack:
        bench_stack(texts, a.concurrency)


if __name__ == "__main__":
    main()
