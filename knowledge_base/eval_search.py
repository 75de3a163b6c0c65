"""Search accuracy on a TSV of citizen messages.

    python -m knowledge_base.eval_search eval/dev_messages.tsv [--content DIR] [--show-failures N]

The TSV has the header ``case lang text service aspect`` (lang: zh, en, zh-Hant, mixed). Rows whose
service is ``OOS`` are out of scope: for them the share whose top service score falls below the
threshold is reported. A hit's service is the top-ranked hit's ``service_id`` (FAQ hits count via
their service); top-3 looks at the first three distinct services in the ranking.
"""
from __future__ import annotations

import argparse
import csv
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge_base.search import DEFAULT_THRESHOLD, Hit, Searcher
from knowledge_base.spelling import HomophoneCorrector

OOS = "OOS"
LANG_ORDER = ("zh", "zh-Hant", "en", "mixed")


def load_content(content_dir: Path) -> tuple[list[dict], list[dict]]:
    """Services and FAQs straight from the YAML content directory (unreadable files are skipped)."""
    return _load_dir(content_dir / "services", "services"), _load_dir(content_dir / "faqs", "faqs")


def _load_dir(folder: Path, key: str) -> list[dict]:
    records: list[dict] = []
    for path in sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            print(f"warning: skipped {path}: {exc}", file=sys.stderr)
            continue
        records += [r for r in data.get(key) or [] if isinstance(r, dict) and r.get("id")]
    return records


@dataclass(frozen=True)
class Row:
    case: str
    lang: str
    text: str
    service: str


@dataclass(frozen=True)
class Outcome:
    row: Row
    ranked: list[tuple[str, float]]  # distinct services, best first

    @property
    def top(self) -> str | None:
        return self.ranked[0][0] if self.ranked else None

    @property
    def top_score(self) -> float:
        return self.ranked[0][1] if self.ranked else 0.0


def read_rows(path: Path) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            Row(r["case"], r["lang"].strip(), r["text"], r["service"].strip())
            for r in reader
            if r.get("text")
        ]


def ranked_services(hits: list[Hit]) -> list[tuple[str, float]]:
    """Distinct service ids in ranking order with their best score (first hit must carry a service)."""
    out: list[tuple[str, float]] = []
    seen: set[str] = set()
    for i, h in enumerate(hits):
        sid = h.service_id
        if sid is None:
            if i == 0:
                out.append(("-", h.score))
                seen.add("-")
            continue
        if sid not in seen:
            seen.add(sid)
            out.append((sid, h.score))
    return out


def evaluate(searcher: Searcher, rows: list[Row], correct=lambda text: text) -> list[Outcome]:
    """Ranks each row's text, after ``correct`` (the homophone correction the bot applies)."""
    return [Outcome(r, ranked_services(searcher.search(correct(r.text), limit=10))) for r in rows]


def _pct(k: int, n: int) -> str:
    return f"{100 * k / n:5.1f}%" if n else "    -"


def report(outcomes: list[Outcome], threshold: float, show_failures: int, elapsed: float) -> str:
    ins = [o for o in outcomes if o.row.service != OOS]
    oos = [o for o in outcomes if o.row.service == OOS]
    langs = [lang for lang in LANG_ORDER if any(o.row.lang == lang for o in ins)]
    langs += sorted({o.row.lang for o in ins} - set(langs))
    lines = [f"{'lang':<9}{'n':>5}{'top-1':>9}{'top-3':>9}{'below thr':>11}"]
    for lang in langs + ["overall"]:
        group = [o for o in ins if lang == "overall" or o.row.lang == lang]
        top1 = sum(1 for o in group if o.top == o.row.service)
        top3 = sum(1 for o in group if o.row.service in [s for s, _ in o.ranked[:3]])
        low = sum(1 for o in group if o.top_score < threshold)
        lines.append(f"{lang:<9}{len(group):>5}{_pct(top1, len(group)):>9}{_pct(top3, len(group)):>9}"
                     f"{_pct(low, len(group)):>11}")
    rejected = sum(1 for o in oos if o.top_score < threshold)
    lines.append(f"out of scope: n={len(oos)}, top score < {threshold:.2f}: {_pct(rejected, len(oos)).strip()}")
    n = max(len(outcomes), 1)
    lines.append(f"time: {1000 * elapsed / n:.2f} ms per message")
    if show_failures:
        lines += _failures(ins, oos, threshold, show_failures)
    return "\n".join(lines)


def _failures(ins: list[Outcome], oos: list[Outcome], threshold: float, limit: int) -> list[str]:
    bad = [o for o in ins if o.top != o.row.service]
    bad += [o for o in oos if o.top_score >= threshold]
    lines = [f"\nfailures (showing {min(limit, len(bad))} of {len(bad)}):"]
    for o in bad[:limit]:
        got = ", ".join(f"{s} {sc:.2f}" for s, sc in o.ranked[:3]) or "(no hit)"
        lines.append(f"{o.row.case:<12}{o.row.lang:<8}want {o.row.service:<34} got {got}\n"
                     f"{'':20}{o.row.text}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge_base.eval_search", description=__doc__.split("\n")[0])
    parser.add_argument("tsv", type=Path)
    parser.add_argument("--content", type=Path, default=None, help="content dir (default: settings)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--show-failures", type=int, default=0, metavar="N")
    args = parser.parse_args(argv)
    content = args.content
    if content is None:
        from bot.settings import Settings

        content = Settings.from_env().content_dir
    services, faqs = load_content(content)
    searcher = Searcher.from_records(services, faqs)
    rows = read_rows(args.tsv)
    corrector = HomophoneCorrector.for_services(services)
    searcher.search(corrector.correct("warm-up"))
    started = time.perf_counter()
    outcomes = evaluate(searcher, rows, corrector.correct)
    elapsed = time.perf_counter() - started
    print(f"content: {len(services)} services, {len(faqs)} FAQs from {content}")
    print(report(outcomes, args.threshold, args.show_failures, elapsed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
