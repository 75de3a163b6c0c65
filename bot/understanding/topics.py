"""Broad topics and life events that fit several services ("养老", "question about hukou",
"we're starting a business"): ``broad_topic(text)`` → the topic the whole message names, or None;
failing that, a life event told as a story that asks nothing yet ("my wife just gave birth!!",
"老板欠了俺半年工钱，一直拖着不给").

Pure Python, no Rasa. The word lists are data (bot/understanding/broad_topics.yml). A message
matches only when, after the opening and closing frames are taken off, nothing but the topic's
own wording is left: a message that says more is answered directly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional, Tuple

import yaml

TOPICS_FILE = Path(__file__).with_name("broad_topics.yml")
MAX_CHARS = 80          # a bare topic is short; longer messages say more than a topic
FRAME_PASSES = 3        # "你好，我想问问" is two opening frames
_TRAILING = re.compile(r"[\s!！?？。.,，、~～…:：;；'\"“”‘’()（）\[\]【】]+$")
_LEADING = re.compile(r"^[\s,，、~～…:：;；]+")


@dataclass(frozen=True)
class BroadTopic:
    name: str
    services: Tuple[str, ...]


@dataclass(frozen=True)
class _Spec:
    openings: Tuple["re.Pattern", ...]
    closings: Tuple["re.Pattern", ...]
    topics: Tuple[Tuple[BroadTopic, "re.Pattern", Optional["re.Pattern"], bool], ...]
    asks: Optional["re.Pattern"] = None               # wording that makes a story a request
    generic_asks: Optional["re.Pattern"] = None       # "要办些啥": asks only what the event involves
    told: Tuple[Tuple[BroadTopic, "re.Pattern"], ...] = ()
    told_max_chars: int = 0


@lru_cache(maxsize=2)
def _spec(path: str = str(TOPICS_FILE)) -> _Spec:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    frames = raw.get("frames") or {}
    openings = tuple(re.compile(p) for p in frames.get("opening") or ())
    closings = tuple(re.compile(f"(?:{p})$") for p in frames.get("closing") or ())
    topics, by_name = [], {}
    for name, body in (raw.get("topics") or {}).items():
        by_name[name] = BroadTopic(name, tuple(body.get("services") or ()))
        alternation = "|".join(f"(?:{p})" for p in body.get("patterns") or ())
        exclude = "|".join(f"(?:{p})" for p in body.get("exclude") or ())
        if alternation:
            topics.append((by_name[name], re.compile(alternation),
                           re.compile(exclude) if exclude else None, bool(body.get("needs_frame"))))
    asks = "|".join(f"(?:{p})" for p in raw.get("asks") or ())
    generic = "|".join(f"(?:{p})" for p in raw.get("generic_asks") or ())
    told = []
    for name, patterns in (raw.get("told") or {}).items():
        if name not in by_name:
            raise ValueError(f"{path}: told situation {name!r} is not a topic")
        told.append((by_name[name], re.compile("|".join(f"(?:{p})" for p in patterns))))
    return _Spec(openings, closings, tuple(topics), re.compile(asks) if asks else None,
                 re.compile(generic) if generic else None, tuple(told), int(raw.get("told_max_chars") or 0))


def _forms(text: str, spec: _Spec) -> Iterator[str]:
    """``text``, then ``text`` with one frame after another taken off ("你好，我想问问社保的事")."""
    yield text
    for _ in range(FRAME_PASSES):
        before = text
        for pattern in spec.openings:
            m = pattern.match(text)
            if m and m.end():
                text = _LEADING.sub("", text[m.end():])
                yield text
        for pattern in spec.closings:
            m = pattern.search(text)
            if m and m.start() < len(text):
                text = _TRAILING.sub("", text[:m.start()])
                yield text
        if text == before:
            break


def _match(text: str, whole: str, spec: _Spec) -> Optional[BroadTopic]:
    for topic, pattern, exclude, needs_frame in spec.topics:
        if needs_frame and text == whole:
            continue  # "护照" alone asks for one; "想问下护照的事" asks about the topic
        if pattern.fullmatch(text) and not (exclude and exclude.search(whole)):
            return topic
    return None


def broad_topic(text: str, path: str = str(TOPICS_FILE)) -> Optional[BroadTopic]:
    """The topic ``text`` names and nothing more (normalised: Simplified, lower case), or None."""
    from knowledge_base.text import normalize

    if not text or text.startswith("/") or len(text) > MAX_CHARS:
        return None
    spec = _spec(path)
    norm = _TRAILING.sub("", normalize(text))
    if not norm:
        return None
    # (an empty form matches nothing: every topic pattern needs its own words)
    whole = next((topic for form in _forms(norm, spec) if form and (topic := _match(form, norm, spec))), None)
    return whole or told_situation(normalize(text), spec)  # (with its question mark, if any)


def told_situation(norm: str, spec: _Spec) -> Optional[BroadTopic]:
    """The life event a short story tells when it asks nothing (``asks`` and ``told`` in the YAML):
    "my wife just gave birth!!" and "我媳妇昨天生了，接下来都要办些啥" → new_baby; "my wife just gave
    birth, how do we get the birth certificate" asks for one service and is answered directly."""
    if not spec.told or len(norm) > spec.told_max_chars:
        return None
    rest = spec.generic_asks.sub(" ", norm) if spec.generic_asks else norm
    if spec.asks and spec.asks.search(rest):
        return None
    if _names_a_procedure_in_pinyin(rest):  # "老婆怀孕了，要做shengyu dengji": a request after all
        return None
    return next((topic for topic, pattern in spec.told if pattern.search(norm)), None)


def life_events_of(service: str, path: str = str(TOPICS_FILE)) -> frozenset:
    """The life events (topics a citizen tells as a story: ``told`` in broad_topics.yml) whose
    services include ``service``."""
    return frozenset(topic.name for topic, _ in _spec(path).told if service in topic.services)


def told_events(text: str, path: str = str(TOPICS_FILE)) -> frozenset:
    """The life events a message tells of, whatever else it says or asks ("老婆前天生了个闺女，接下
    来都要办啥" → new_baby; "we're buying our first flat, the bank wants proof …" → buying_home)."""
    from knowledge_base.text import normalize

    if not text or text.startswith("/"):
        return frozenset()
    norm = normalize(text[:MAX_CHARS * 4])
    return frozenset(topic.name for topic, pattern in _spec(path).told if pattern.search(norm))


def _names_a_procedure_in_pinyin(norm: str) -> bool:
    """Whether ``norm`` names a document or procedure in pinyin (knowledge_base/pinyin_words.yml,
    the aliases' pinyin included: "shengyu dengji", "getihu")."""
    from knowledge_base.text import rewrite_pinyin

    return rewrite_pinyin(norm, encoder=True) != norm
