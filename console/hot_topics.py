"""Hot-topic warning (舆情监测预警): topics whose traffic in the last window far exceeds usual.

A turn counts towards its service, each of its content words (``text_terms.terms``) and each
complaint theme whose trigger words it contains. Settings and themes live in ``hot_topics.yml``.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from console.text_terms import terms, to_simplified

__all__ = ["CONFIG_PATH", "HotTopic", "HotTopicConfig", "TurnSample", "detect", "load_config"]

CONFIG_PATH = Path(__file__).with_name("hot_topics.yml")
KIND_ORDER = ("service", "theme", "keyword")  # precedence when a keyword duplicates a topic
_NUMBERS = {"factor": float, "min_count": int, "window_minutes": int, "baseline_hours": int,
            "min_baseline": float, "max_samples": int}


@dataclass(frozen=True)
class HotTopicConfig:
    """Thresholds and complaint themes (theme id → {"zh": [...], "en": [...]})."""

    factor: float = 3.0
    min_count: int = 5
    window_minutes: int = 60
    baseline_hours: int = 168
    min_baseline: float = 1.0
    max_samples: int = 5
    themes: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.factor <= 0 or self.window_minutes <= 0 or self.baseline_hours < 0 or self.min_baseline < 0:
            raise ValueError("factor and window_minutes must be positive, baselines not negative")


@dataclass(frozen=True)
class TurnSample:
    """One citizen message (already masked)."""

    timestamp: float
    text: str
    service: str | None = None
    sender_id: str | None = None  # a citizen repeating himself counts once


@dataclass(frozen=True)
class HotTopic:
    """A topic whose last-window count is unusually high."""

    kind: str  # "service" | "keyword" | "theme"
    key: str
    count: int
    baseline: float
    ratio: float
    samples: list[str]


@lru_cache(maxsize=8)
def _read_yaml(path: str, mtime_ns: int) -> dict[str, Any]:
    """Parsed YAML file (cached per modification time)."""
    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


def _themes(raw: Any) -> dict[str, dict[str, list[str]]]:
    if not isinstance(raw, dict):
        raise ValueError("themes must be a mapping of theme id to {zh: [...], en: [...]}")
    themes: dict[str, dict[str, list[str]]] = {}
    for theme, words in raw.items():
        if not isinstance(words, dict) or not all(isinstance(words.get(lang), list) for lang in ("zh", "en")):
            raise ValueError(f"theme {theme!r} needs zh and en lists")
        themes[str(theme)] = {lang: [str(w) for w in words[lang]] for lang in ("zh", "en")}
    return themes


def load_config(path: Path | None = None, *, factor: float | None = None) -> HotTopicConfig:
    """The configuration in ``path`` (default ``hot_topics.yml``); ``factor`` overrides the file's."""
    path = Path(path or CONFIG_PATH)
    data = dict(_read_yaml(str(path), path.stat().st_mtime_ns))
    unknown = set(data) - set(_NUMBERS) - {"themes"}
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}")
    values: dict[str, Any] = {k: cast(data[k]) for k, cast in _NUMBERS.items() if k in data}
    values["themes"] = _themes(data.get("themes") or {})
    config = HotTopicConfig(**values)
    return dataclasses.replace(config, factor=float(factor)) if factor is not None else config


def _matchers(config: HotTopicConfig) -> dict[str, tuple[str, ...]]:
    """Theme id → normalised trigger words (Simplified, lower case)."""
    return {
        theme: tuple({to_simplified(w).lower() for lang in ("zh", "en") for w in words.get(lang, ()) if w})
        for theme, words in config.themes.items()
    }


def _keys(turn: TurnSample, matchers: dict[str, tuple[str, ...]]) -> set[tuple[str, str]]:
    """The (kind, key) topics a turn counts towards."""
    keys = {("keyword", t) for t in terms(turn.text)}
    if turn.service:
        keys.add(("service", turn.service))
    text = to_simplified(turn.text).lower()
    keys.update(("theme", theme) for theme, words in matchers.items() if any(w in text for w in words))
    return keys


def _samples(turns: list[TurnSample], limit: int) -> list[str]:
    """Up to ``limit`` distinct texts, newest first."""
    out: list[str] = []
    for turn in sorted(turns, key=lambda t: t.timestamp, reverse=True):
        if turn.text not in out:
            out.append(turn.text)
            if len(out) >= limit:
                break
    return out


def detect(turns: Iterable[TurnSample], *, now: float, config: HotTopicConfig) -> list[HotTopic]:
    """Hot topics in the window ending at ``now``, highest ratio first."""
    window = config.window_minutes * 60.0
    start = now - window
    base_start = start - config.baseline_hours * 3600.0
    windows = max(config.baseline_hours * 3600.0 / window, 1.0)
    matchers = _matchers(config)
    recent: dict[tuple[str, str], dict[int, TurnSample]] = {}
    people: dict[tuple[str, str], set] = {}
    before: dict[tuple[str, str], set] = {}
    for n, turn in enumerate(turns):
        if not base_start <= turn.timestamp <= now:
            continue
        who = turn.sender_id if turn.sender_id is not None else n
        for key in _keys(turn, matchers):
            if turn.timestamp >= start:
                recent.setdefault(key, {})[n] = turn
                people.setdefault(key, set()).add(who)
            else:
                before.setdefault(key, set()).add(who)
    hot: list[tuple[HotTopic, frozenset[int]]] = []
    for (kind, key), hits in recent.items():
        count = len(people[(kind, key)])
        baseline = len(before.get((kind, key), ())) / windows
        usual = max(baseline, config.min_baseline)
        if count >= config.min_count and count >= config.factor * usual:
            samples = _samples(list(hits.values()), config.max_samples)
            topic = HotTopic(kind, key, count, round(baseline, 2), round(count / usual, 2), samples)
            hot.append((topic, frozenset(hits)))
    return _drop_duplicates(hot)


def _drop_duplicates(hot: list[tuple[HotTopic, frozenset[int]]]) -> list[HotTopic]:
    """Sorted topics without keywords that cover exactly the messages of a topic already kept."""
    hot.sort(key=lambda h: (KIND_ORDER.index(h[0].kind), -h[0].ratio, -h[0].count, h[0].key))
    kept: list[HotTopic] = []
    seen: set[frozenset[int]] = set()
    for topic, messages in hot:
        if topic.kind == "keyword" and messages in seen:
            continue
        seen.add(messages)
        kept.append(topic)
    kept.sort(key=lambda t: (-t.ratio, -t.count, KIND_ORDER.index(t.kind), t.key))
    return kept
