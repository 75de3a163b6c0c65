"""Side-by-side table of runs of shared/tools/eval_conversations.py (their --json files).

Usage: eval_compare.py RUN.json... [--labels dev locked rasa-default] [--times 200 - 2400]
Prints, per language, service / aspect accuracy, in-scope refusals, out-of-scope refusals and
wrong services, small talk handled and reply-language correctness for each run, the multi-turn
dialogue figures and the floors of the understanding issue.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

LANGS = ("zh", "en", "zh-Hant", "mixed")
FLOORS = {"service": (">=", 96.0), "aspect": (">=", 95.0), "in-scope refused": ("<=", 2.0),
          "OOS rejected": (">=", 92.0), "OOS wrong svc": ("<=", 1.0), "small talk ok": (">=", 90.0),
          "reply lang": (">=", 100.0)}
DIALOGUE_FLOOR = 85.0


def figures(by: dict, run: dict, lang: str) -> dict:
    def pct(a: str, n: str):
        return 100.0 * by.get(a, 0) / by[n] if by.get(n) else None

    oos = [r for r in run.get("results") or [] if r.get("lang") == lang and r.get("service") == "OOS"]
    wrong = 100.0 * sum(bool(r.get("got_service")) for r in oos) / len(oos) if oos else None
    return {"service": pct("service_ok", "in_n"), "aspect": pct("aspect_ok", "in_n"),
            "in-scope refused": pct("false_reject", "in_n"), "OOS rejected": pct("oos_rejected", "oos_n"),
            "OOS wrong svc": wrong, "small talk ok": pct("chit_ok", "chit_n"),
            "reply lang": pct("reply_lang_ok", "reply_lang_n")}


def aspect_alone(run: dict, lang: str):
    """Share of in-scope messages whose aspect slot is right, ignoring the service."""
    rows = [r for r in run.get("results") or [] if r.get("lang") == lang and r.get("service") not in ("OOS", "CHITCHAT")]
    if not rows:
        return None
    ok = sum(((r.get("got_aspect") or "overview") == (r.get("aspect") if r.get("aspect") not in ("-", "", None)
                                                         else "overview")) for r in rows)
    return 100.0 * ok / len(rows)


def meets(metric: str, value) -> str:
    if value is None:
        return ""
    op, floor = FLOORS[metric]
    return "" if (value >= floor if op == ">=" else value <= floor) else " !"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("runs", type=Path, nargs="+")
    ap.add_argument("--labels", nargs="+", default=None)
    ap.add_argument("--times", nargs="+", default=None, help="training seconds of each ('-' unknown)")
    a = ap.parse_args()
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in a.runs]
    labels = (a.labels or [p.stem for p in a.runs])[:len(runs)]
    w = 15
    print(f"{'lang':8} {'metric':17}" + "".join(f"{lbl:>{w}}" for lbl in labels) + "   floor")
    for lang in LANGS:
        rows = [figures((r.get("by_lang") or {}).get(lang) or {}, r, lang) for r in runs]
        for metric in FLOORS:
            cells = [f"{v:6.1f} %{meets(metric, v):2}" if v is not None else "      -" for v in
                     (row[metric] for row in rows)]
            op, floor = FLOORS[metric]
            print(f"{lang:8} {metric:17}" + "".join(f"{c:>{w}}" for c in cells) + f"   {op} {floor:g} %")
    print("aspect of in-scope messages, whatever the service (the intent classifier alone):")
    for lang in LANGS:
        cells = [f"{v:6.1f} %" if v is not None else "      -" for v in (aspect_alone(r, lang) for r in runs)]
        print(f"{lang:8} {'aspect alone':17}" + "".join(f"{c:>{w}}" for c in cells))
    dia = [r.get("dialogues") or {} for r in runs]
    cells = [f"{100 * d['dialogues_ok'] / d['dialogues']:.1f} % ({d['dialogues_ok']}/{d['dialogues']})" if d else "-"
             for d in dia]
    print(f"{'dialogues fully right':26}" + "".join(f"{c:>{w}}" for c in cells) + f"   >= {DIALOGUE_FLOOR:g} %")
    cells = [f"{100 * d['turns_ok'] / d['turns']:.1f} %" if d else "-" for d in dia]
    print(f"{'dialogue turns right':26}" + "".join(f"{c:>{w}}" for c in cells))
    lat = [sorted(r.get("latency") or [0.0]) for r in runs]
    cells = [f"{1000 * v[len(v) // 2]:.0f}/{1000 * v[int(len(v) * 0.95)]:.0f} ms" for v in lat]
    print(f"{'latency p50 / p95':26}" + "".join(f"{c:>{w}}" for c in cells))
    if a.times:
        cells = [f"{int(t) // 60} min {int(t) % 60:02d} s" if t.isdigit() else "-" for t in a.times]
        print(f"{'training (2 cores)':26}" + "".join(f"{c:>{w}}" for c in cells) + "   < 5 min")
    print("(! = below the floor)")


if __name__ == "__main__":
    main()
