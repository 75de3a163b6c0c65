"""Measures the decision layer without servers: parse once, then re-decide with any thresholds.

  eval_decision.py dump --model M --tsv FILE --out evidence.json   # parses every message (slow part)
  eval_decision.py score evidence.json [--thresholds bot/understanding/decision.yml]

``dump`` records, per message, the intent classifier's output (before the decision layer), the
search ranking and the semantic evidence; ``score`` replays ``decide()`` over them and prints
service accuracy, in-scope refusals, out-of-scope refusals and wrong services per language, so
thresholds are tuned in seconds. Tune on the dev set only, never on eval/locked/.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.components.aspect_cues import addresses_the_assistant, follow_up_aspect  # noqa: E402
from bot.components.understanding import _question_sentence, _small_talk  # noqa: E402
from bot.understanding.decision import Evidence, asks_for_human, decide  # noqa: E402
from bot.understanding.scope import outside_scope  # noqa: E402
from bot.understanding.semantic import SemanticEvidence  # noqa: E402
from bot.understanding.topics import broad_topic  # noqa: E402

REJECT = {"out_of_scope", "nlu_fallback"}


async def _dump(model: str, tsv: Path, out: Path) -> None:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    decider = next(n for n in agent.processor.graph_runner._instantiated_nodes.values()
                   if type(n._component).__name__ == "UnderstandingDecider")._component
    rows = list(csv.DictReader(tsv.open(encoding="utf-8"), delimiter="\t"))
    records = []
    for i, row in enumerate(rows):
        parsed = await agent.parse_message(row["text"])
        und = parsed.get("understanding") or {}
        sem = decider._semantic(row["text"])
        records.append({**row, "parsed_intent": parsed["intent"], "understanding": und,
                        "evidence": und.get("evidence"),
                        "semantic": dict(sem.scores) if sem else None,
                        "gate": sem.out_of_scope_probability if sem else None})
        if i % 100 == 0:
            print(f"{i}/{len(rows)}", file=sys.stderr)
    out.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")


def score(path: Path, thresholds: Path) -> None:
    cfg = yaml.safe_load(thresholds.read_text(encoding="utf-8"))
    by = defaultdict(lambda: defaultdict(int))
    failures = []
    for r in json.loads(path.read_text(encoding="utf-8")):
        ev = r["evidence"]
        if not ev:
            continue
        sem = (SemanticEvidence(r["semantic"], out_of_scope_probability=r.get("gate"))
               if r["semantic"] is not None else None)
        evidence = Evidence(intent=ev["intent"], confidence=ev["confidence"], service=ev["service"],
                            service_score=ev["service_score"], lexical=tuple(map(tuple, ev["lexical"])),
                            aspect_intent=ev["aspect_intent"], semantic=lambda s=sem: s,
                            is_payload=r["text"].startswith("/"), asks_for_human=asks_for_human(r["text"]),
                            follow_up_aspect=follow_up_aspect(r["text"]),
                            to_assistant=addresses_the_assistant(r["text"]),
                            outside=outside_scope(_question_sentence(r["text"])), topic=broad_topic(r["text"]),
                            small_talk=_small_talk(r["text"]))
        d = decide(evidence, cfg)
        refused = (d.intent in REJECT or d.confidence < cfg["fallback_confidence"]) and not d.service
        b = by[r["lang"]]
        if r["service"] == "CHITCHAT":
            b["chat_n"] += 1
            ok = not d.service and d.intent not in REJECT and d.confidence >= cfg["fallback_confidence"]
            b["chat_ok"] += ok
            if not ok:
                failures.append(("CHAT", r["text"], d.service or d.intent, d.reason))
        elif r["service"] == "OOS":
            b["oos_n"] += 1
            b["oos_refused"] += refused
            b["oos_wrong_service"] += bool(d.service)
            if d.service:
                failures.append(("OOS->service", r["text"], d.service, d.reason))
        else:
            b["in_n"] += 1
            b["service_ok"] += d.service == r["service"]
            want = "ask_" + (r["aspect"] if r["aspect"] not in ("-", "", None) else "overview")
            b["aspect_ok"] += d.service == r["service"] and (d.intent == want or (
                want == "ask_overview" and d.intent == "inform_service"))
            b["refused"] += refused
            b["asked"] += bool(d.candidates) and not d.service
            if d.service != r["service"]:
                failures.append((f"{r['service']}", r["text"], d.service or d.intent, d.reason))
    print(f"{'lang':8} {'service':>8} {'aspect':>8} {'refused':>8} {'asked':>6} {'OOS refused':>12} "
          f"{'OOS wrong svc':>14} {'chat ok':>8}")
    for lang, b in sorted(by.items()):
        pct = lambda a, n: f"{100 * a / n:.1f}" if n else "-"  # noqa: E731
        print(f"{lang:8} {pct(b['service_ok'], b['in_n']):>8} {pct(b['aspect_ok'], b['in_n']):>8} "
              f"{pct(b['refused'], b['in_n']):>8} {pct(b['asked'], b['in_n']):>6} "
              f"{pct(b['oos_refused'], b['oos_n']):>12} {pct(b['oos_wrong_service'], b['oos_n']):>14} "
              f"{pct(b['chat_ok'], b['chat_n']):>8}")
    for f in failures[:int(__import__("os").environ.get("SHOW", "0"))]:
        print("  ", f)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--model", required=True)
    d.add_argument("--tsv", type=Path, required=True)
    d.add_argument("--out", type=Path, required=True)
    s = sub.add_parser("score")
    s.add_argument("evidence", type=Path)
    s.add_argument("--thresholds", type=Path, default=ROOT / "bot" / "understanding" / "decision.yml")
    a = ap.parse_args()
    if a.cmd == "dump":
        asyncio.run(_dump(a.model, a.tsv, a.out))
    else:
        score(a.evidence, a.thresholds)


if __name__ == "__main__":
    main()
