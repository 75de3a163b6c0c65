"""Group the messages the assistant could not answer, so staff see topics rather than single turns.

Greedy leader clustering: items are visited newest first and join the first group whose exemplar
term sets (the leader's and a few other distinct members') reach the Jaccard threshold, or whose
members said exactly the same thing. An inverted index of exemplars keeps the work near-linear.
"""
from __future__ import annotations

import hashlib
import heapq
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from console.text_terms import normalize, terms

__all__ = ["InboxGroup", "InboxItem", "explain", "group_items", "suggested_alias", "suggested_faq"]

NEGATIVE_REASONS = frozenset({"thumbs_down", "handoff"})
MAX_EXEMPLARS = 8  # distinct term sets a group is compared with (the leader's first)
TOP_TERMS = 5
MAX_QUESTIONS = 5
MAX_ALIAS_CHARS = 40
_EPS = 1e-9
_ALIAS_STRIP = "?？!！。. \t\r\n\u3000"


@dataclass(frozen=True)
class InboxItem:
    """One unanswered turn (text already masked)."""

    turn_id: int
    sender_id: str
    timestamp: float  # unix seconds
    language: str  # "zh" | "en"
    text: str
    reason: str  # "refused" | "fallback" | "handoff" | "thumbs_down"
    service: str | None = None


@dataclass
class InboxGroup:
    """Similar unanswered messages, with the numbers that rank them."""

    key: str
    items: list[InboxItem]
    representative: str
    terms: list[str]
    volume: int
    hours_since_last: float
    recency: float
    negatives: int
    priority: float
    reasons: dict[str, int]
    service: str | None
    languages: list[str]


class _Cluster:
    """A group under construction."""

    __slots__ = ("items", "item_terms", "exemplars")

    def __init__(self) -> None:
        self.items: list[InboxItem] = []
        self.item_terms: list[frozenset[str]] = []
        self.exemplars: list[frozenset[str]] = []

    def add(self, item: InboxItem, item_terms: frozenset[str]) -> bool:
        """Add ``item``; True when its terms became a new exemplar (to be indexed)."""
        self.items.append(item)
        self.item_terms.append(item_terms)
        if item_terms and len(self.exemplars) < MAX_EXEMPLARS and item_terms not in self.exemplars:
            self.exemplars.append(item_terms)
            return True
        return False


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b| (0 for two empty sets)."""
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter) if inter else 0.0


class _ExemplarIndex:
    """Exemplar term sets by size and term, probed with a size-aware prefix filter.

    An exemplar of m terms reaching Jaccard t with a k-term item shares at least
    α = ⌈t(k+m)/(1+t)⌉ terms with it, so it contains one of any k−α+1 of the item's terms:
    only the item's rarest terms are looked up, which keeps frequent terms (a service name in
    every message) from making the work quadratic.
    """

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.by_size: dict[int, dict[str, list[tuple[int, frozenset[str]]]]] = {}

    def add(self, group: int, exemplar: frozenset[str]) -> None:
        bucket = self.by_size.setdefault(len(exemplar), {})
        for term in exemplar:
            bucket.setdefault(term, []).append((group, exemplar))

    def first_match(self, item_terms: frozenset[str]) -> int | None:
        """The oldest group with an exemplar similar to ``item_terms``, if any."""
        t, k = self.threshold, len(item_terms)
        best: int | None = None
        for m, bucket in self.by_size.items():
            if min(k, m) < t * max(k, m) - _EPS:  # sizes too different to ever reach t
                continue
            alpha = max(1, math.ceil(t * (k + m) / (1 + t) - _EPS))
            probe = sorted(item_terms, key=lambda term: len(bucket.get(term, ())))[: k - alpha + 1]
            for term in probe:
                for group, exemplar in bucket.get(term, ()):
                    if (best is None or group < best) and jaccard(item_terms, exemplar) >= t:
                        best = group
        return best


def _newest(items: Iterable[InboxItem], limit: int) -> list[InboxItem]:
    return heapq.nlargest(limit, items, key=lambda it: (it.timestamp, it.turn_id))


def _cluster(items: list[InboxItem], threshold: float) -> list[_Cluster]:
    clusters: list[_Cluster] = []
    by_text: dict[str, int] = {}
    index = _ExemplarIndex(threshold)
    for item in items:
        item_terms = terms(item.text)
        norm = normalize(item.text)
        group = by_text.get(norm)
        if group is None and item_terms:
            group = index.first_match(item_terms)
        if group is None:
            group = len(clusters)
            clusters.append(_Cluster())
        if clusters[group].add(item, item_terms):
            index.add(group, item_terms)
        by_text.setdefault(norm, group)
    return clusters


def _signature(items: list[InboxItem]) -> str:
    ids = ",".join(str(i) for i in sorted(it.turn_id for it in items))
    return hashlib.sha1(ids.encode("ascii")).hexdigest()[:12]


def _representative(cluster: _Cluster) -> str:
    """Text of the item sharing most terms with the others (ties: the newest)."""
    counts = Counter(t for ts in cluster.item_terms for t in ts)
    scores = [sum(counts[t] - 1 for t in ts) for ts in cluster.item_terms]
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    return cluster.items[best].text


def _top_terms(cluster: _Cluster) -> list[str]:
    """The most frequent terms (counted once per item; ties: newest item first)."""
    counts = Counter(t for ts in cluster.item_terms for t in sorted(ts))
    return [t for t, _ in counts.most_common(TOP_TERMS)]


def _service(items: list[InboxItem]) -> str | None:
    """The most common service (ties: the newest item's), or None."""
    counts = Counter(it.service for it in items if it.service)
    return counts.most_common(1)[0][0] if counts else None


def _build(cluster: _Cluster, now: float, half_life_hours: float) -> InboxGroup:
    items = cluster.items
    volume = len({it.sender_id for it in items})
    hours = max(0.0, (now - items[0].timestamp) / 3600.0)
    recency = 0.5 ** (hours / half_life_hours)
    negatives = sum(it.reason in NEGATIVE_REASONS for it in items)
    reasons = Counter(it.reason for it in items)
    return InboxGroup(
        key=_signature(items),
        items=list(items),
        representative=_representative(cluster),
        terms=_top_terms(cluster),
        volume=volume,
        hours_since_last=hours,
        recency=recency,
        negatives=negatives,
        priority=round(volume * recency * (1 + negatives), 2),
        reasons=dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        service=_service(items),
        languages=sorted({it.language for it in items}),
    )


def group_items(
    items: Iterable[InboxItem],
    *,
    now: float,
    threshold: float = 0.34,
    half_life_hours: float = 72.0,
    max_items: int = 5000,
) -> list[InboxGroup]:
    """Group the newest ``max_items`` items by similar wording; highest priority first."""
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    newest = _newest(items, max_items)
    groups = [_build(c, now, half_life_hours) for c in _cluster(newest, threshold)]
    groups.sort(key=lambda g: (-g.priority, -g.volume, -g.items[0].timestamp, g.key))
    return groups


def explain(group: InboxGroup) -> dict:
    """The numbers behind a group's rank (the UI owns the wording)."""
    return {
        "volume": group.volume,
        "recency": round(group.recency, 3),
        "hours_since_last": round(group.hours_since_last, 1),
        "negatives": group.negatives,
        "priority": group.priority,
    }


def _questions(group: InboxGroup, language: str) -> list[str]:
    """Up to MAX_QUESTIONS distinct texts in ``language``: the representative first, then newest."""
    items = sorted(group.items, key=lambda it: it.text != group.representative)
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        norm = normalize(item.text) or item.text.strip()
        if item.language == language and norm not in seen and len(out) < MAX_QUESTIONS:
            seen.add(norm)
            out.append(item.text.strip())
    return out


def suggested_faq(group: InboxGroup) -> dict:
    """A FAQ draft in the knowledge base's canonical form, questions prefilled."""
    return {
        "id": f"faq-inbox-{group.key}",
        "service": group.service,
        "tags": [],
        "questions": {"zh": _questions(group, "zh"), "en": _questions(group, "en")},
        "answer": {"zh": "", "en": ""},
    }


def _majority_language(group: InboxGroup) -> str:
    """The most frequent language (ties: the newest item's)."""
    return Counter(it.language for it in group.items).most_common(1)[0][0]


def suggested_alias(group: InboxGroup) -> dict:
    """A service-alias draft from the representative text."""
    alias = group.representative.strip().rstrip(_ALIAS_STRIP)
    return {
        "service": group.service,
        "language": _majority_language(group),
        "alias": alias[:MAX_ALIAS_CHARS].rstrip(),
    }


def as_group(items: Iterable[InboxItem], *, now: float, half_life_hours: float = 72.0) -> InboxGroup:
    """The given items as one group, whatever their wording (staff picked them together)."""
    cluster = _Cluster()
    for item in sorted(items, key=lambda it: -it.timestamp):
        cluster.add(item, terms(item.text))
    if not cluster.items:
        raise ValueError("no items")
    return _build(cluster, now, half_life_hours)
