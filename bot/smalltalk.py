"""Which persona reply a small-talk message gets: the topic picker behind ``action_small_talk``.

Topics and their cue words live in bot/smalltalk.yml; this module only reads them and matches them
against the message (lower-cased, full-width folded, Traditional converted to Simplified). Plain
Python, no Rasa imports, so it runs in the action server and in plain unit tests.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Pattern, Tuple

import yaml

from knowledge_base.text import normalize

TOPICS_FILE = Path(__file__).with_name("smalltalk.yml")
LANGS = ("zh", "en")


@dataclass(frozen=True)
class Topics:
    """The topics in priority order with their compiled cues, and the topic for no cue."""

    order: Tuple[Tuple[str, Tuple[Pattern, ...]], ...]
    default: str

    @property
    def names(self) -> List[str]:
        """Every topic a message can get, the default included."""
        return [name for name, _ in self.order] + [self.default]


def cue_pattern(entry: str) -> Pattern:
    """``re:`` + a regular expression, or a word (all-ASCII words match whole words only)."""
    if entry.startswith("re:"):
        return re.compile(entry[3:])
    word = entry.lower()
    if word.isascii():
        return re.compile(r"(?<![a-z0-9])" + re.escape(word) + r"(?![a-z0-9])")
    return re.compile(re.escape(word))


def parse_topics(data: Dict[str, Any]) -> Topics:
    """Topics from the YAML structure; a topic missing from ``priority`` (or the reverse) is an error."""
    topics = data.get("topics") or {}
    priority = list(data.get("priority") or [])
    if set(priority) != set(topics) or len(priority) != len(topics):
        raise ValueError(f"priority must list each topic once: priority={priority}, topics={sorted(topics)}")
    default = str(data.get("default") or "default")
    if default in topics:
        raise ValueError(f"the default topic {default!r} must not have cues")
    order = tuple((name, tuple(cue_pattern(str(cue)) for lang in LANGS
                               for cue in (topics[name] or {}).get(lang) or []))
                  for name in priority)
    return Topics(order=order, default=default)


@lru_cache(maxsize=1)
def load_topics(path: Path = TOPICS_FILE) -> Topics:
    return parse_topics(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def prepare(text: str) -> str:
    """The form cues are matched against: NFKC, Simplified, lower case, straight apostrophes."""
    return normalize((text or "").replace("\u2019", "'").replace("\u2018", "'"))


def pick_topic(text: str, topics: Topics | None = None) -> str:
    """The first topic (in priority order) with a cue in ``text``, or the default topic."""
    topics = topics or load_topics()
    prepared = prepare(text)
    if prepared:
        for name, patterns in topics.order:
            if any(p.search(prepared) for p in patterns):
                return name
    return topics.default


def topic_names() -> List[str]:
    """All topics of bot/smalltalk.yml, the default last."""
    return load_topics().names
