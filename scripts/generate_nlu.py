"""Generates service-question NLU examples from the knowledge base and hand-written templates.

Output: data/nlu/generated/*.yml (not committed; `make train` regenerates them). Names and aliases
come from the knowledge-base YAML, question shapes from data/templates/service_questions.yml,
and out-of-scope examples additionally from ../shared/eval/*_train* (never *_dev*).
"""
from __future__ import annotations

import argparse
import csv
import random
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ASPECTS = ("overview", "how", "materials", "where", "who", "fee", "duration", "hours", "online",
           "eligibility")


def load_services(content_dir: Path) -> list[dict]:
    services = []
    for path in sorted((content_dir / "services").glob("*.yml")):
        services.extend((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("services", []))
    return services


def load_districts(content_dir: Path) -> list[dict]:
    data = yaml.safe_load((content_dir / "offices.yml").read_text(encoding="utf-8")) or {}
    return data.get("districts", [])


def mentions(service: dict, lang: str) -> list[str]:
    """Ways a citizen names a service in ``lang``: short aliases first, then the full name."""
    names = list(service.get("aliases", {}).get(lang, [])) + [service["name"][lang]]
    return [str(n) for n in names if n]


def fill(templates: list[str], services: list[dict], lang: str, rng: random.Random, per: int,
         other_lang_share: float = 0.0) -> list[str]:
    out = []
    for template in templates:
        for service in rng.sample(services, min(per, len(services))):
            use = "en" if lang == "zh" and rng.random() < other_lang_share else lang
            mention = rng.choice(mentions(service, use))
            text = template.replace("{service}", f" {mention} " if use != lang else mention)
            if "{other}" in text:
                other = rng.choice([s for s in services if s["id"] != service["id"]])
                text = text.replace("{other}", rng.choice(mentions(other, lang)))
            out.append(" ".join(text.split()))
    return out


_EN_PLURAL = [(re.compile(p, re.IGNORECASE), r) for p, r in (
    (r"\bI am\b", "we are"), (r"\bI'm\b", "we're"), (r"\bI've\b", "we've"), (r"\bam I\b", "are we"), (r"\bI\b", "we"),
    (r"\bmy\b", "our"), (r"\bme\b", "us"))]


def other_person(text: str, lang: str) -> str:
    """The same question asked for a couple or family ("we", "我们"), so that pronouns carry no
    aspect: "what do we bring" is the same question as "what do I bring"."""
    if lang == "zh":
        return text.replace("我们", "我").replace("我", "我们")
    for pattern, repl in _EN_PLURAL:
        text = pattern.sub(repl, text)
    return text


def with_other_persons(examples: list[str], lang: str, rng: random.Random, share: float) -> list[str]:
    """``examples`` plus a plural-person variant of a share of those that have a first person."""
    out = list(examples)
    for e in examples:
        variant = other_person(e, lang)
        if variant != e and rng.random() < share:
            out.append(variant)
    return out


def with_framings(examples: list[str], framings: list[str], rng: random.Random, share: float) -> list[str]:
    """``examples`` plus, for a share of them, the same question after a who-is-asking opening
    ("我爸在内地，", "asking for my mum, "; templates ``framings``)."""
    out = list(examples)
    if framings:
        for e in examples:
            if rng.random() < share:
                framing = rng.choice(framings)
                out.append(framing + (e[0].lower() + e[1:] if framing.endswith(" ") and e[:2] != "I " else e))
    return out


# ChatterBot lines that read like a citizen's fee, phone or place question: kept out of small talk.
CHATTERBOT_NOT_SMALL_TALK = {"你的位置是什么", "你的号码是多少", "你收入多少", "你收多少钱", "1块钱", "钱"}


def shared_train_oos(shared_eval: Path) -> list[str]:
    """The public *_train* out-of-scope lines (CLINC150), plus the few ChatterBot lines that read
    like service questions (``CHATTERBOT_NOT_SMALL_TALK``)."""
    lines = []
    clinc = shared_eval / "clinc150_oos_train_en.txt"
    if clinc.exists():
        lines += [line.strip() for line in clinc.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines + [t for t in chatterbot_lines(shared_eval) if t in CHATTERBOT_NOT_SMALL_TALK]


def chatterbot_lines(shared_eval: Path) -> list[str]:
    chat = shared_eval / "chatterbot_chitchat_train_zh.tsv"
    if not chat.exists():
        return []
    with chat.open(encoding="utf-8") as f:
        return [row["text"].strip() for row in csv.DictReader(f, delimiter="\t") if row["text"].strip()]


def shared_train_small_talk(shared_eval: Path) -> list[str]:
    """The ChatterBot *_train* lines: small talk with a bot, trivia included (a citizen chatting
    with the assistant gets its small-talk persona, not a refusal). Lines written by hand under
    another intent (data/nlu/smalltalk_chatterbot.yml) are dropped by ``dedupe``."""
    return [t for t in chatterbot_lines(shared_eval) if t not in CHATTERBOT_NOT_SMALL_TALK]


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings as literal blocks, the way Rasa NLU files look."""


_BlockDumper.add_representer(
    str, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style="|" if "\n" in v else None))


def nlu_block(intent: str, examples: list[str]) -> dict:
    clean = sorted({e.replace("\n", " ").strip() for e in examples if e.strip()})
    return {"intent": intent, "examples": "".join(f"- {e}\n" for e in clean)}


def existing_examples(nlu_dir: Path) -> set[str]:
    seen = set()
    for path in nlu_dir.glob("*.yml"):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            seen.update(line[2:].strip() for line in block.get("examples", "").splitlines() if line.startswith("- "))
    return seen


def generate(content_dir: Path, templates_path: Path, shared_eval: Path, per: int, seed: int) -> dict:
    rng = random.Random(seed)
    services = load_services(content_dir)
    templates = yaml.safe_load(templates_path.read_text(encoding="utf-8"))
    blocks: dict[str, list[str]] = {}
    framings = templates.get("framings") or {}
    framing_rng = random.Random(seed + 1)  # its own stream: the other examples stay as they were
    for aspect in ASPECTS:
        spec = templates["aspects"][aspect]
        zh = fill(spec["zh"], services, "zh", rng, per, other_lang_share=0.15)
        examples = with_other_persons(zh, "zh", rng, 0.1)
        en = fill(spec["en"], services, "en", rng, per)
        examples += with_other_persons(en, "en", rng, 0.15)
        examples += [e for e in with_framings(zh, framings.get("zh") or [], framing_rng, framings.get("share", 0.0))
                     if e not in zh]
        examples += [e for e in with_framings(en, framings.get("en") or [], framing_rng, framings.get("share", 0.0))
                     if e not in en]
        examples += with_other_persons(spec.get("zh_followup", []), "zh", rng, 0.5)
        examples += with_other_persons(spec.get("en_followup", []), "en", rng, 0.5)
        blocks[f"ask_{aspect}"] = examples
    switch = fill(templates["switch"]["zh"], services, "zh", rng, per, 0.15)
    switch += fill(templates["switch"]["en"], services, "en", rng, per)
    switch += fill(templates["correct"]["zh"], services, "zh", rng, per)
    switch += fill(templates["correct"]["en"], services, "en", rng, per)
    blocks["inform_service"] = switch
    districts = load_districts(content_dir)
    blocks["inform_district"] = [
        t.replace("{district}", d["name"][lang])
        for lang in ("zh", "en") for t in templates["district"][lang] for d in districts
    ]
    blocks["out_of_scope"] = shared_train_oos(shared_eval)
    blocks["chitchat"] = shared_train_small_talk(shared_eval)
    return blocks


def dedupe(blocks: dict[str, list[str]], taken: set[str]) -> dict[str, list[str]]:
    """Drops examples claimed by hand-written data or by more than one generated intent."""
    owner: dict[str, str] = {}
    clash = set()
    for intent, examples in blocks.items():
        for e in set(examples):
            if e in owner and owner[e] != intent:
                clash.add(e)
            owner.setdefault(e, intent)
    return {i: [e for e in ex if e not in taken and e not in clash] for i, ex in blocks.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--content", type=Path, default=ROOT / "knowledge_base" / "content")
    ap.add_argument("--templates", type=Path, default=ROOT / "data" / "templates" / "service_questions.yml")
    # the two *_train* files of ../shared/eval it uses ship in data/external/ (with their licences),
    # so training never depends on a folder outside the repository
    ap.add_argument("--shared-eval", type=Path, default=ROOT / "data" / "external")
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "nlu" / "generated")
    ap.add_argument("--per-template", type=int, default=4)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    blocks = dedupe(generate(a.content, a.templates, a.shared_eval, a.per_template, a.seed),
                    existing_examples(a.out.parent))
    a.out.mkdir(parents=True, exist_ok=True)
    wanted = {}
    for intent, examples in blocks.items():
        doc = {"version": "3.1", "nlu": [nlu_block(intent, examples)]}
        wanted[a.out / f"{intent}.yml"] = ("# Generated by scripts/generate_nlu.py; do not edit.\n"
                                          + yaml.dump(doc, Dumper=_BlockDumper, allow_unicode=True,
                                                      sort_keys=False, width=1000))
        print(f"{intent}: {len(set(examples))} examples")
    for old in set(a.out.glob("*.yml")) - set(wanted):
        old.unlink()
    for path, text in wanted.items():  # unchanged files are left alone (a training may be reading them)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)


if __name__ == "__main__":
    main()
