"""Generated training questions include who-is-asking openings that change neither service nor aspect."""
from __future__ import annotations

import random
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "data" / "templates" / "service_questions.yml"


def _generator():
    sys.path.insert(0, str(ROOT / "scripts"))
    import generate_nlu

    return generate_nlu


def test_a_share_of_questions_gets_an_opening_in_its_language():
    gen = _generator()
    framings = yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))["framings"]
    blocks = gen.generate(ROOT / "knowledge_base" / "content", TEMPLATES, ROOT / "no-shared-data", per=4, seed=7)
    for intent in ("ask_where", "ask_materials"):
        examples = set(blocks[intent])
        for lang in ("zh", "en"):
            framed = [e for e in examples if any(e.startswith(f) for f in framings[lang])]
            assert framed, (intent, lang)
            # the framed question is also there without its opening
            bare = [next(e[len(f):] for f in framings[lang] if e.startswith(f)) for e in framed]
            assert sum(b in examples or (b[:1].upper() + b[1:]) in examples for b in bare) >= 0.9 * len(bare)


def test_the_openings_name_no_service_and_no_aspect():
    from bot.components.aspect_cues import cued_aspects

    framings = yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))["framings"]
    for lang in ("zh", "en"):
        for f in framings[lang]:
            assert not cued_aspects(f), f


def test_framings_leave_the_other_examples_alone():
    gen = _generator()
    plain = gen.with_framings(["a", "b"], [], random.Random(1), 1.0)
    assert plain == ["a", "b"]
    framed = gen.with_framings(["where is it"], ["asking for my mum, "], random.Random(1), 1.0)
    assert framed == ["where is it", "asking for my mum, where is it"]
