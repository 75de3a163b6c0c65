"""Reading a follow-up together with the conversation: the service under discussion and the
candidates offered on the last turn.

Pure functions over search rankings (``[(service_id, score), ...]``, best first) and the
services' names, so they are tested without a server.
"""
from __future__ import annotations

import re
from functools import lru_cache
from itertools import permutations
from pathlib import Path
from typing import Dict, Iterable, Mapping, Optional, Sequence, Set, Tuple

import yaml

Ranking = Sequence[Tuple[str, float]]

STRONG_MENTION = 0.6   # a mention this strong names its own service: a switch, not a refinement
REFINEMENT = 0.3       # a sibling this well ranked is what the follow-up refines to
SEMANTIC_REFINEMENT = 0.02  # a sibling this much closer in meaning than the current service
REFINEMENT_LEAD = 0.1  # a sibling ahead by no more than this needs its situation in the message
CANDIDATE = 0.12       # a typed reply this close to an offered candidate picks it
ASPECT_IN_CONTEXT_GATE = 0.5      # a refused aspect question the scope gate reads as in scope (below this) ...
ASPECT_IN_CONTEXT_MARGIN = -0.02  # ... whose nearest examples are service questions by this margin
ASPECT_IN_CONTEXT_OTHER = 0.4     # ... and whose words point to no other service this much
CONTEXT_FILE = Path(__file__).with_name("context.yml")


@lru_cache(maxsize=1)
def _context_file() -> Dict:
    return yaml.safe_load(CONTEXT_FILE.read_text(encoding="utf-8")) or {}


@lru_cache(maxsize=1)
def _another_need() -> Tuple["re.Pattern", ...]:
    return tuple(re.compile(p) for p in _context_file().get("another_need") or ())


@lru_cache(maxsize=1)
def _next_step() -> Tuple["re.Pattern", ...]:
    return tuple(re.compile(p) for p in _context_file().get("next_step") or ())


@lru_cache(maxsize=1)
def _not_another_need() -> Tuple["re.Pattern", ...]:
    return tuple(re.compile(p) for p in _context_file().get("not_another_need") or ())


@lru_cache(maxsize=1)
def _situations() -> Tuple[Tuple[str, Tuple["re.Pattern", ...], Tuple[str, ...], bool], ...]:
    raw = _context_file().get("situations") or {}
    return tuple((name, tuple(re.compile(p) for p in spec.get("patterns") or ()), tuple(spec.get("services") or ()),
                  bool(spec.get("prevails"))) for name, spec in raw.items())


def family_groups() -> Tuple[Tuple[str, ...], ...]:
    """The groups of sibling services listed in context.yml (`families`)."""
    return tuple(tuple(group) for group in (_context_file().get("families") or {}).values())


def with_groups(siblings: Mapping[str, Set[str]], groups: Sequence[Sequence[str]]) -> Dict[str, Set[str]]:
    """``siblings`` with every pair of services of a listed group added."""
    out = {sid: set(others) for sid, others in siblings.items()}
    for group in groups:
        for a, b in permutations(group, 2):
            out.setdefault(a, set()).add(b)
    return out


def situation_pick(text: str, choices: Sequence[str]) -> Optional[str]:
    """The one service among ``choices`` that the situation a reply describes belongs to ("我第一次
    申请" among a first passport and a renewal → the first one; "it expired" → the renewal), or
    ``None`` when no situation, or more than one of the choices, fits."""
    if not choices:
        return None
    fitting = situation_services(text) & set(choices)
    if len(fitting) > 1:  # several fit: a situation that prevails decides ("丢了，能先办个临时的不")
        fitting &= situation_services(text, prevailing_only=True)
    return fitting.pop() if len(fitting) == 1 else None


def situation_services(text: str, prevailing_only: bool = False) -> Set[str]:
    """Every service a situation the message describes belongs to ("expired": a passport renewal,
    an ID card's renewal, a driving licence's...); with ``prevailing_only``, only those of the
    situations marked ``prevails`` in context.yml (what is asked for outright: "a temporary one")."""
    from knowledge_base.text import normalize

    norm = normalize(text or "")
    return {sid for _, patterns, services, prevails in _situations()
            if (prevails or not prevailing_only) and any(p.search(norm) for p in patterns)
            for sid in services} if norm else set()


@lru_cache(maxsize=1)
def _conditions() -> Tuple[Tuple[Tuple["re.Pattern", ...], Tuple[str, ...]], ...]:
    raw = _context_file().get("conditions") or {}
    return tuple((tuple(re.compile(p) for p in spec.get("patterns") or ()), tuple(spec.get("services") or ()))
                 for spec in raw.values())


def named_as_condition(text: str, service: str) -> bool:
    """``service``'s subject is named as the citizen's condition ("we don't have local hukou"), not
    asked for: no situation of that service's own is described ("迁过来", "just born")."""
    from knowledge_base.text import normalize

    norm = normalize(text or "")
    if not norm or service in situation_services(text):
        return False
    return any(service in services and any(p.search(norm) for p in patterns) for patterns, services in _conditions())


def announces_another_need(text: str) -> bool:
    """The message adds a further need ("she also wants to visit Hong Kong"): its service, even
    faintly named, is a new question rather than a refinement of the one under discussion."""
    from knowledge_base.text import normalize

    norm = normalize(text or "")
    return (bool(norm) and (any(p.search(norm) for p in _another_need()) or any(p.search(norm) for p in _next_step()))
            and not any(p.search(norm) for p in _not_another_need()))


def announces_a_new_request(text: str) -> bool:
    """A further need that is not the next step of the same matter ("另外我有个新项目，想再注册个新
    公司", "she also wants to visit Hong Kong"; not "拿到以后就该去上户口了吧")."""
    from knowledge_base.text import normalize

    norm = normalize(text or "")
    return (bool(norm) and any(p.search(norm) for p in _another_need())
            and not any(p.search(norm) for p in _not_another_need()))


def families(names: Mapping[str, Sequence[str]]) -> Dict[str, Set[str]]:
    """Sibling services: those where a Chinese name or alias of one (two characters or more)
    is part of a name or alias of the other (护照 ⊂ 换护照, 身份证 ⊂ 补身份证, 户口 ⊂ 新生儿上户口)."""
    zh = {sid: [n for n in words if n and any("\u3400" <= c <= "\u9fff" for c in n)] for sid, words in names.items()}
    out: Dict[str, Set[str]] = {sid: set() for sid in names}
    for a, b in permutations(zh, 2):
        if any(len(x) >= 2 and any(x in y for y in zh[b]) for x in zh[a]):
            out[a].add(b)
            out[b].add(a)
    return out


def refine(previous: str, ranking: Ranking, siblings: Mapping[str, Set[str]],
           semantic: Optional[Mapping[str, float]] = None, statement: bool = False,
           text: Optional[str] = None) -> Optional[str]:
    """The sibling of ``previous`` that a follow-up without a service name of its own points to
    ("actually I lost it" after an ID-card renewal → the lost-card replacement), or ``None``.

    The sibling must be ranked with at least ``REFINEMENT`` and not below ``previous`` (ties count
    for the sibling: "lost" fits every lost-card service equally). A strong mention of a service
    outside the family is a switch, left to the caller. Meaning (``semantic``: service → similarity)
    is consulted only for a ``statement`` (not an aspect question: "多少钱" resembles anything).
    With ``text``, a sibling only ``REFINEMENT_LEAD`` or less ahead of ``previous`` is taken only
    when the message describes its situation ("要多久能拿到执照" fits a sole trader's licence and a
    company's alike: the conversation's stays)."""
    if not ranking or not previous:
        return None
    family = siblings.get(previous) or set()
    if any(score >= STRONG_MENTION and sid != previous and sid not in family for sid, score in ranking):
        return None
    previous_score = max((score for sid, score in ranking if sid == previous), default=0.0)
    for sid, score in ranking:
        if sid in family and score >= REFINEMENT and score >= previous_score:
            if (text is not None and previous_score and score - previous_score <= REFINEMENT_LEAD
                    and situation_pick(text, [previous, sid]) != sid):
                continue
            return sid
    if statement and semantic and not any(sid in family and score >= REFINEMENT for sid, score in ranking):
        # the words name nothing of the family ("sorry, actually I lost it"): a sibling among the
        # three services nearest in meaning, clearly nearer than the current one
        nearest = sorted(semantic, key=lambda sid: -semantic[sid])[:3]
        for sid in nearest:
            if sid in family and semantic[sid] - semantic.get(previous, 0.0) >= SEMANTIC_REFINEMENT:
                return sid
    return None


def pick_candidate(candidates: Sequence[str], ranking: Ranking,
                   semantic: Optional[Mapping[str, float]] = None,
                   siblings: Optional[Mapping[str, Set[str]]] = None) -> Optional[str]:
    """The offered candidate a typed reply chooses ("the card with my photo" after a choice of
    cards), by search rank (a service ranked is taken for the one candidate in its family) and,
    where the search is silent, by meaning; ``None`` if unclear."""
    if not candidates:
        return None
    offered = set(candidates)
    for sid, score in ranking:
        if score < CANDIDATE:
            break
        if sid in offered:
            return sid
        related = offered & set((siblings or {}).get(sid) or ())
        if len(related) == 1:
            return related.pop()
    if semantic:
        scored = sorted(((semantic.get(c, 0.0), c) for c in candidates), reverse=True)
        if scored and scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] - scored[1][0] >= 0.02):
            return scored[0][1]
    return None


def service_in_the_story(events: Iterable[str], entity: str, rivals: Iterable[str], text: str,
                         previous: Optional[str] = None) -> Optional[str]:
    """Of ``rivals`` (the named service's siblings and the services the search ranks about as
    high), the one that belongs to a life event the citizen told earlier in the conversation
    (``events``) when the named service belongs to none: "拿到以后就该去上户口了吧" after "老婆前天
    生了个闺女" → the newborn's registration, not a hukou transfer; "the transfer registration"
    after "we're buying our first flat" → the property's. None when the message describes the named
    service's own situation ("迁户口"), or when no rival or more than one fits, or when the one that
    fits is the service just discussed (``previous``) and the message names its next step ("领完了我
    想自己单干，社保自己交咋登记" after the unemployment benefit)."""
    from bot.understanding.topics import life_events_of

    told = set(events)
    if not told or life_events_of(entity) & told or announces_a_new_request(text):
        return None
    fitting = sorted({r for r in rivals if r != entity and life_events_of(r) & told})
    if len(fitting) != 1 or situation_pick(text, [entity, fitting[0]]) == entity:
        return None
    if fitting[0] == previous and announces_another_need(text):
        return None
    return fitting[0]


def aspect_asked_of_previous(previous: str, understanding: Mapping, asked: Optional[str], text: str = "",
                             in_scope_gate: float = ASPECT_IN_CONTEXT_GATE,
                             service_margin: float = ASPECT_IN_CONTEXT_MARGIN,
                             other_service: float = ASPECT_IN_CONTEXT_OTHER) -> bool:
    """A refused message that asks one aspect ("is there an online form or only phone" while the
    12345 hotline is discussed) and whose meaning is service wording rather than a refusal: the
    scope gate reads it as in scope (below ``in_scope_gate``), its nearest examples are service
    questions by ``service_margin``, and its words neither point to another service (a search score
    of ``other_service``) nor announce a further need ("另外我太太想自己繳社會保險，要怎麼登記").
    Read with the service under discussion, it is a question about that service."""
    if not previous or not asked or asked == "overview" or announces_another_need(text):
        return False
    semantic = understanding.get("semantic") or {}
    gate, margin = semantic.get("out_of_scope_probability"), semantic.get("refusal_margin")
    if gate is None or margin is None or gate >= in_scope_gate or margin > service_margin:
        return False
    lexical = (understanding.get("evidence") or {}).get("lexical") or []
    return not any(sid != previous and float(score) >= other_service for sid, score in lexical)
