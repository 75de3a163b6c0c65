"""Builds the evaluation TSV: our dev set plus the shared out-of-scope *_dev* files.

Columns as tools/eval_conversations.py expects: case, lang, text, service, aspect. The shared
files are used only to measure (never trained on).
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rows(dev: Path, shared: Path) -> list[dict]:
    with dev.open(encoding="utf-8") as f:
        out = list(csv.DictReader(f, delimiter="\t"))
    clinc = shared / "clinc150_oos_dev_en.txt"
    if clinc.exists():
        for i, line in enumerate(clinc.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                out.append({"case": f"clinc-{i}", "lang": "en", "text": line.strip(), "service": "OOS", "aspect": "-"})
    xsid = shared / "xsid_oos_dev_en_zh.tsv"
    if xsid.exists():
        with xsid.open(encoding="utf-8") as f:
            for i, r in enumerate(csv.DictReader(f, delimiter="\t")):
                out.append({"case": f"xsid-en-{i}", "lang": "en", "text": r["en"], "service": "OOS", "aspect": "-"})
                out.append({"case": f"xsid-zh-{i}", "lang": "zh", "text": r["zh"], "service": "OOS", "aspect": "-"})
    chat = shared / "chatterbot_chitchat_dev_zh.tsv"
    if chat.exists():
        with chat.open(encoding="utf-8") as f:
            for i, r in enumerate(csv.DictReader(f, delimiter="\t")):
                out.append({"case": f"chatter-{i}", "lang": "zh", "text": r["text"], "service": "CHITCHAT",
                            "aspect": "-"})
    return [r for r in out if r["text"].strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dev", type=Path, default=ROOT / "eval" / "dev_messages.tsv")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "eval")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    data = rows(a.dev, a.shared)
    with a.out.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["case", "lang", "text", "service", "aspect"], delimiter="\t")
        w.writeheader()
        for r in data:
            w.writerow({k: r[k].replace("\t", " ") for k in w.fieldnames})
    print(f"{len(data)} rows -> {a.out}")


if __name__ == "__main__":
    main()
