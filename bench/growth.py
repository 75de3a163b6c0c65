"""How cost grows with the work: conversation length, knowledge-base size, stored conversations."""
from __future__ import annotations

import json
import statistics
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from bench import load
from bench.stacks import Stack

TURNS = (1, 10, 50)


def _say(url: str, sender: str, text: str) -> float:
    body = json.dumps({"sender": sender, "message": text}).encode()
    req = urllib.request.Request(url + "/webhooks/rest/webhook", body, {"Content-Type": "application/json"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()
    return 1000 * (time.perf_counter() - t0)


def conversation_length(url: str, conversations: int = 3) -> dict:
    """Median latency (ms) of the 1st, 10th and 50th turn of one conversation."""
    texts = [t for _, t in load.questions()]
    at: dict[int, list[float]] = {n: [] for n in TURNS}
    for c in range(conversations):
        sender = f"growth-{uuid.uuid4().hex[:8]}"
        for turn in range(1, max(TURNS) + 1):
            ms = _say(url, sender, texts[(c * 97 + turn) % len(texts)])
            if turn in at:
                at[turn].append(ms)
    return {"latency_ms_by_turn": {str(n): round(statistics.median(v), 1) for n, v in at.items()}}


def _content_records() -> tuple[list[dict], list[dict]]:
    """Service and FAQ search records of the repository's content (a throw-away SQLite build)."""
    import os
    import subprocess
    import sys

    from bench.stacks import ROOT
    from knowledge_base import repository
    from knowledge_base.access import KnowledgeBaseAccess
    from knowledge_base.search import _record

    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-kb-')) / 'kb.db'}"
    subprocess.run([sys.executable, "-m", "knowledge_base", "build"], cwd=ROOT,
                   env={**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}, check=True,
                   capture_output=True)
    with KnowledgeBaseAccess(url).session() as session:
        return ([_record(s) for s in repository.list_services(session)],
                [_record(f) for f in repository.list_faqs(session)])


def synthetic_services(services: list[dict], n: int) -> list[dict]:
    """``n`` services: the real ones, then renamed copies of them (distinct ids and names)."""
    out = list(services[:n])
    i = 0
    while len(out) < n:
        base = json.loads(json.dumps(services[i % len(services)], default=str))
        base["id"] = f"{base['id']}_syn{i}"
        if isinstance(base.get("name"), dict):
            base["name"] = {k: f"{v} {i}" for k, v in base["name"].items()}
        out.append(base)
        i += 1
    return out


def knowledge_base_size(sizes: tuple[int, ...] = (45, 2000), queries: int = 200) -> dict:
    """Median search latency (ms, the per-message work that grows with the content) at each size."""
    from knowledge_base.search import Searcher

    services, faqs = _content_records()
    texts = [t for _, t in load.questions(queries)]
    result = {}
    for size in sizes:
        searcher = Searcher.from_records(synthetic_services(services, size), faqs)
        searcher.search("warm up")
        samples = []
        for t in texts:
            t0 = time.perf_counter()
            searcher.search(t)
            samples.append(1000 * (time.perf_counter() - t0))
        result[str(size)] = round(statistics.median(samples), 2)
    return {"search_ms_by_services": result}


def memory_by_stored_conversations(model: str, steps: tuple[int, ...] = (0, 500, 2000)) -> dict:
    """Rasa server memory (MB) after 0, 500 and 2,000 stored conversations (make run stack)."""
    memory = {}
    with Stack("project", model) as stack:
        stored = 0
        for step in steps:
            if step > stored:
                load.load(stack.url, step - stored, 10, seed=step, token=stack.rest_token)
                stored = step
            memory[str(step)] = stack.memory().get("rasa", [0])[0]
    return {"rasa_memory_mb_by_stored_conversations": memory}
