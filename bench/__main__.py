"""make bench: speed, memory and growth figures, written to bench/RESULTS.md and bench/results.json.

Quick mode (default, a few minutes): this project under ``make run`` and ``make run-prod`` at 1,
10 and 50 concurrent clients, Rasa's default configuration too when its model is already trained
(``make eval`` or ``--full`` trains it), service accuracy on a sample of the dev set,
staff-edit-to-live time (an editor's save in the console's form until the bot's answer shows it),
the console's dashboard load time with 100,000 stored conversations. Full mode (``--full``): trains the stock model if needed, the whole dev
set for accuracy, more conversations per level, and the growth measurements.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import console, growth, load, report  # noqa: E402
from bench.stacks import Stack  # noqa: E402

LEVELS = (1, 10, 50)


def trained(config: str, prefix: str, out: str, train: bool) -> tuple[str | None, float | None]:
    """(model path, training seconds) for ``config``; None when not trained and ``train`` is off."""
    args = [sys.executable, str(ROOT / "scripts" / "train.py"), "--config", config, "--prefix", prefix,
            "--out", out]
    if not train:
        args.append("--if-trained")
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines or not lines[-1].endswith(".tar.gz"):
        return None, None
    model = lines[-1]
    seconds = Path(model[: -len(".tar.gz")] + ".seconds")
    return model, float(seconds.read_text()) if seconds.exists() else None


def accuracy(stack: Stack, sample: int | None) -> float:
    """Share of in-scope dev questions whose service the bot got right (the shared yardstick)."""
    tsv = ROOT / "eval" / "dev_messages.tsv"
    rows = tsv.read_text(encoding="utf-8").splitlines()
    header, body = rows[0], [r for r in rows[1:] if r.split("\t")[3] not in ("OOS", "CHITCHAT")]
    if sample:
        body = body[:: max(1, len(body) // sample)][:sample]
    path = stack.workdir / "accuracy.tsv"
    path.write_text("\n".join([header, *body]) + "\n", encoding="utf-8")
    out = stack.workdir / "accuracy.json"
    tool = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared")) / "tools" / "eval_conversations.py"
    # the API port: the evaluation contract reads trackers, which the public port of make run-prod
    # does not serve (it passes only the channels); the API port reaches the same replicas
    token = ["--token", stack.rest_token] if stack.rest_token else []
    subprocess.run([sys.executable, str(tool), "--url", stack.api_url, "--tsv", str(path), "--json", str(out), *token],
                   cwd=ROOT, check=True, capture_output=True)
    results = json.loads(out.read_text())
    items = results.get("results") or []
    right = [r for r in items if r.get("got_service") == r.get("service")]
    return round(100 * len(right) / len(items), 1) if items else 0.0


def measure(stack: Stack, n: int, full: bool) -> dict:
    # warm-up with the concurrency of the levels: every replica and action server has answered,
    # opened its database connections and unpacked its encoder weights before anything is timed
    load.load(stack.url, 40, 10, seed=99, token=stack.rest_token)
    levels = {}
    for c in LEVELS:
        result = load.load(stack.url, max(n, 3 * c), c, seed=c, token=stack.rest_token)
        levels[c] = result.summary()
        print(f"  {stack.kind:8} c={c:<3} {result.throughput:6.1f} msg/s  p50 {result.p50_ms:6.0f}  "
              f"p95 {result.p95_ms:6.0f}  p99 {result.p99_ms:6.0f} ms  errors {result.errors}  "
              f"timeouts {result.timeouts}", flush=True)
    return {"levels": levels, "memory_mb": stack.memory(), "started_in_s": round(stack.started_in, 1),
            "service_accuracy": accuracy(stack, None if full else 100)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--full", action="store_true", help="stock model trained if needed, whole dev set, growth")
    ap.add_argument("--conversations", type=int, default=None, help="conversations per load level")
    ap.add_argument("--skip-prod", action="store_true")
    ap.add_argument("--growth", action="store_true", help="add the growth measurements to a quick run")
    a = ap.parse_args()
    n = a.conversations or (300 if a.full else 120)
    started = time.perf_counter()
    out: dict = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "mode": "full" if a.full else "quick", "cores": os.cpu_count(),
                 "command": "make bench-full" if a.full else ("python -m bench --growth" if a.growth else "make bench"),
                 "stacks": {}}

    model, train_s = trained("config.yml", "govassist", "models", True)
    stock_model, stock_train_s = trained("config.default.yml", "baseline", "models/baseline", a.full)
    if stock_model is None and not a.full:  # quick mode: an earlier stock model, said so in the report
        earlier = sorted((ROOT / "models" / "baseline").glob("baseline-*.tar.gz"), key=lambda p: p.stat().st_mtime)
        if earlier:
            stock_model = str(earlier[-1])
            seconds = earlier[-1].with_name(earlier[-1].name[: -len(".tar.gz")] + ".seconds")
            stock_train_s = float(seconds.read_text()) if seconds.exists() else None
            out["stock_model_note"] = (f"{earlier[-1].name}: trained on an earlier version of the training "
                                       "data (make bench-full retrains it on the current data)")
    out["training_seconds"] = {"project": train_s, "stock": stock_train_s}

    print("== this project under make run (SQLite, in-memory lock store)", flush=True)
    with Stack("project", model) as stack:
        out["stacks"]["project"] = measure(stack, n, a.full)
        trials = sorted(console.edit_to_live(stack) for _ in range(3))
        out["edit_to_live_s"], out["edit_to_live_trials_s"] = trials[1], trials
        print(f"  staff edit to live answer: median {trials[1]} s of {trials}", flush=True)
        if a.full or a.growth:
            out["growth"] = growth.conversation_length(stack.url)
    if not a.skip_prod:
        print("== this project under make run-prod (nginx, 2 replicas, PostgreSQL, Redis)", flush=True)
        with Stack("prod", model) as stack:
            out["stacks"]["prod"] = measure(stack, n, a.full)
    if stock_model:
        print("== Rasa's default pipeline and policies, same data, same actions (make run)", flush=True)
        with Stack("stock", stock_model) as stack:
            out["stacks"]["stock"] = measure(stack, n, a.full)
    else:
        print("== Rasa's default configuration: not trained yet (make bench-full trains it); skipped")
    print("== staff console: dashboard with 100,000 stored conversations", flush=True)
    out["dashboard"] = console.dashboard_load(100_000)
    print(f"  {out['dashboard']}", flush=True)
    if a.full or a.growth:
        out.setdefault("growth", {}).update(growth.knowledge_base_size())
        out["growth"].update(growth.memory_by_stored_conversations(model))
    out["bench_seconds"] = round(time.perf_counter() - started)
    report.write(out)
    print(f"wrote bench/RESULTS.md, bench/results.json and bench/throughput.png "
          f"({out['bench_seconds']} s)")


if __name__ == "__main__":
    main()
