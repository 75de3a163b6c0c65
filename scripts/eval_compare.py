"""Side-by-side table of two runs of shared/tools/eval_conversations.py (their --json files).

Usage: eval_compare.py OURS.json BASELINE.json [--labels ours rasa-default] [--times 200 2400]
Prints, per language, service / aspect accuracy, false rejection, out-of-scope rejection and
reply-language correctness for both, the multi-turn dialogue figures and the floors of issue 4.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

LANGS = ("zh", "en", "zh-Hant", "mixed")
FLOORS = {"service": (">=", 95.0), "aspect": (">=", 93.0), "false-reject": ("<=", 3.0),
          "OOS rejected": (">=", 90.0), "reply lang": (">=", 100.0)}


def figures(by: dict) -> dict:
    def pct(a: str, n: str):
        return 100.0 * by.get(a, 0) / by[n] if by.get(n) else None

    return {"service": pct("service_ok", "in_n"), "aspect": pct("aspect_ok", "in_n"),
            "false-reject": pct("false_reject", "in_n"), "OOS rejected": pct("oos_rejected", "oos_n"),
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
    ap.add_argument("ours", type=Path)
    ap.add_argument("baseline", type=Path)
    ap.add_argument("--labels", nargs=2, default=["ours", "rasa-default"])
    ap.add_argument("--times", nargs=2, default=None, help="training seconds of each")
    a = ap.parse_args()
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in (a.ours, a.baseline)]
    print(f"{'lang':8} {'metric':14} {a.labels[0]:>14} {a.labels[1]:>14}   floor")
    for lang in LANGS:
        rows = [figures((r.get("by_lang") or {}).get(lang) or {}) for r in runs]
        for metric in FLOORS:
            cells = [f"{v:6.1f} %{meets(metric, v):2}" if v is not None else "      -" for v in
                     (row[metric] for row in rows)]
            op, floor = FLOORS[metric]
            print(f"{lang:8} {metric:14} {cells[0]:>14} {cells[1]:>14}   {op} {floor:g} %")
    print("aspect of in-scope messages, whatever the service (the intent classifier alone):")
    for lang in LANGS:
        cells = [f"{v:6.1f} %" if v is not None else "      -" for v in (aspect_alone(r, lang) for r in runs)]
        print(f"{lang:8} {'aspect alone':14} {cells[0]:>14} {cells[1]:>14}")
    dia = [r.get("dialogues") or {} for r in runs]
    if all(dia):
        cells = [f"{d['dialogues_ok']}/{d['dialogues']} ({100 * d['turns_ok'] / d['turns']:.1f} % turns)" for d in dia]
        print(f"{'dialogues fully right':23} {cells[0]:>24} {cells[1]:>24}")
    lat = [sorted(r.get("latency") or [0.0]) for r in runs]
    cells = [f"{1000 * v[len(v) // 2]:.0f} / {1000 * v[int(len(v) * 0.95)]:.0f} ms" for v in lat]
    print(f"{'latency p50 / p95':23} {cells[0]:>24} {cells[1]:>24}")
    if a.times:
        cells = [f"{int(t) // 60} min {int(t) % 60:02d} s" if t.isdigit() else "not known" for t in a.times]
        print(f"{'training (2 cores)':23} {cells[0]:>24} {cells[1]:>24}")
    print("(! = below the floor)")


if __name__ == "__main__":
    main()
