"""Which of the services a message names is the one it asks about.

``asked_service(text, candidates, phrases)``: among ``candidates`` (services whose search scores
are close), the one the question itself names. Pure Python, no Rasa; word lists in focus.yml.

- A mention that is only something to bring ("户口本要带吗", "bring my passport") does not count.
- The question clause (the last clause that asks) decides: the one candidate named in it wins;
  if it names none, the one an earlier question names, else the candidate named last before it
  ("学校要无房证明，在哪开").
- A Chinese question clause naming several puts its request last ("外地户口能交社保吗": the
  household register is a condition, social insurance the request).
Otherwise None: the search's own order stands.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional, Sequence, Tuple

import yaml

FOCUS_FILE = Path(__file__).with_name("focus.yml")
_HAN = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class _Spec:
    material_before: Tuple["re.Pattern", ...]
    material_after: Tuple["re.Pattern", ...]
    place_after: Tuple["re.Pattern", ...]
    place_name: Tuple["re.Pattern", ...]
    clause_break: "re.Pattern"
    question: "re.Pattern"
    material_after_possessed: Tuple["re.Pattern", ...] = ()


_POSSESSIVE = re.compile(r"\b(?:my|his|her|our|their|your)\s+$|(?:我|他|她|我们|他们|孩子|老婆|老公)的$")


@lru_cache(maxsize=2)
def _spec(path: str = str(FOCUS_FILE)) -> _Spec:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return _Spec(tuple(re.compile(p) for p in raw.get("material_before") or ()),
                 tuple(re.compile(p) for p in raw.get("material_after") or ()),
                 tuple(re.compile(p) for p in raw.get("place_after") or ()),
                 tuple(re.compile(p) for p in raw.get("place_name") or ()),
                 re.compile(raw["clause_break"]), re.compile(raw["question"]),
                 tuple(re.compile(p) for p in raw.get("material_after_possessed") or ()))


def _mentions(norm: str, phrases: Sequence[Tuple[str, str]]) -> list[Tuple[int, int, str]]:
    """(start, end, service) of every phrase found, longest first and never overlapping."""
    taken = [False] * len(norm)
    found = []
    for phrase, service in phrases:  # longest first
        if len(phrase) < 2:
            continue
        ascii_phrase = phrase.isascii()
        for a in _occurrences(norm, phrase):
            b = a + len(phrase)
            if ascii_phrase and ((a and _latin_alnum(norm[a - 1])) or (b < len(norm) and _latin_alnum(norm[b]))):
                continue  # a Latin phrase is a whole word ("id" is not in "provide"; "带passport吗" has one)
            if any(taken[a:b]):
                continue
            taken[a:b] = [True] * (b - a)
            found.append((a, b, service))
    return sorted(found)


def _latin_alnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


def _occurrences(text: str, phrase: str):
    """Start offsets of ``phrase`` in ``text`` (plain search: no pattern compiled per phrase)."""
    start = text.find(phrase)
    while start >= 0:
        yield start
        start = text.find(phrase, start + 1)


def _is_material(norm: str, a: int, b: int, spec: _Spec) -> bool:
    """Whether the mention at [a, b) is something to bring or the office, not the service asked about."""
    before, after = norm[max(0, a - 12):a], norm[b:b + 12]
    return (any(p.search(before) for p in spec.material_before)
            or any(p.search(after) for p in spec.material_after + spec.place_after)
            or any(p.search(norm[a:b]) for p in spec.place_name)
            or (bool(_POSSESSIVE.search(before)) and any(p.search(norm[b:]) for p in spec.material_after_possessed)))


def _clauses(norm: str, spec: _Spec) -> list[Tuple[int, int, str]]:
    """(start, end, the break after it) of every clause."""
    spans, start = [], 0
    for m in spec.clause_break.finditer(norm):
        if norm[start:m.start()].strip():
            spans.append((start, m.start(), m.group(0)))
        start = m.end()
    if norm[start:].strip():
        spans.append((start, len(norm), ""))
    return spans


def question_clauses(text: str) -> list[str]:
    """The clauses of ``text`` (normalised) that ask ("残联电话老打不通，12345那边能在网上留言问不":
    only the second); none when no clause asks."""
    from knowledge_base.text import normalize

    spec = _spec()
    norm = normalize(text or "")
    return [norm[a:b] for a, b, brk in _clauses(norm, spec) if spec.question.search(norm[a:b] + brk)]


def only_as_material(text: str, services: Iterable[str], phrases: Sequence[Tuple[str, str]]) -> bool:
    """``services`` (a service and its siblings) are named in ``text`` only as something to bring
    or as the office ("护照肯定得带吧" while a visa extension is discussed: the passport is a
    material, not a new request)."""
    from knowledge_base.text import normalize

    wanted = set(services)
    if not text or text.startswith("/") or not wanted:
        return False
    spec = _spec()
    norm = normalize(text)
    named = _mentions(norm, [(p, s) for p, s in phrases if s in wanted])
    return bool(named) and all(_is_material(norm, a, b, spec) for a, b, _ in named)


def asked_service(text: str, candidates: Iterable[str], phrases: Sequence[Tuple[str, str]]) -> Optional[str]:
    """The candidate the question names (see the module docstring), or None.

    ``phrases``: (normalised name or alias, service id), longest first."""
    from knowledge_base.text import normalize

    wanted = set(candidates)
    if len(wanted) < 2 or not text or text.startswith("/"):
        return None
    spec = _spec()
    norm = normalize(text)
    named = [(a, b, s) for a, b, s in _mentions(norm, phrases) if s in wanted]
    if len({s for _, _, s in named}) < 2:
        return None
    clauses = _clauses(norm, spec)
    asking = [(a, b) for a, b, brk in clauses if spec.question.search(norm[a:b] + brk)] or \
        [(a, b) for a, b, _ in clauses[-1:]]
    q_start, q_end = asking[-1]
    asked = {s for a, b, s in named for qa, qb in asking if qa <= a and b <= qb}
    if len(asking) > 1 and len(asked) > 1:
        return None  # two questions about two services: the search's order stands
    # something to bring or the office, asked about in the question itself ("户口本要带吗",
    # "婚姻登记处电话多少"), is not the service
    mentions = [(a, b, s) for a, b, s in named
                if not (q_start <= a and b <= q_end and _is_material(norm, a, b, spec))]
    if len({s for _, _, s in mentions}) == 1:
        return mentions[0][2]
    inside = [(a, s) for a, b, s in mentions if a >= q_start and b <= q_end]
    named_inside = {s for _, s in inside}
    if len(named_inside) == 1:
        return named_inside.pop()
    if not named_inside:
        if len(asked) == 1:  # an earlier question names it ("how long does the permit take? … can I travel?")
            return next(iter(asked))
        before = [(a, s) for a, b, s in mentions if b <= q_start]
        return before[-1][1] if before else None
    if _HAN.search(norm[q_start:q_end]):
        return max(inside)[1]  # a Chinese clause puts its request last
    return None

