"""Families of wording that put a request outside the catalogue although it names a service.

``outside_scope(text)`` → the first family of bot/understanding/scope_cues.yml whose pattern the
message matches, with the services that family does not apply to; pure Python, no Rasa.
"""
from __future__ import annotations

import dataclasses
import fnmatch
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional, Tuple

import yaml

CUES_FILE = Path(__file__).with_name("scope_cues.yml")
MAX_CHARS = 500  # a question is read in its first sentences; the patterns stay linear anyway


@dataclass(frozen=True)
class ScopeCue:
    family: str
    unless: Tuple[str, ...] = ()
    only: Tuple[str, ...] = ()
    also: Tuple["ScopeCue", ...] = ()  # further families the same message matches

    def applies_to(self, service: Optional[str]) -> bool:
        """Whether this family puts a message about ``service`` outside the catalogue; when it
        does not because of its ``only`` list, another family the message matches may (a family
        that names ``service`` among its ``unless`` services has the last word)."""
        if self._applies(service):
            return True
        if service and any(fnmatch.fnmatchcase(service, u) for u in self.unless):
            return False
        return any(cue._applies(service) for cue in self.also)

    def _applies(self, service: Optional[str]) -> bool:
        """False when ``service`` is one whose own subject the family's words are; a family with
        ``only`` services applies to those alone (a foreigner asking for a permit that only
        mainland residents hold)."""
        if self.only and not (service and any(fnmatch.fnmatchcase(service, o) for o in self.only)):
            return False
        return not (service and any(fnmatch.fnmatchcase(service, u) for u in self.unless))


@lru_cache(maxsize=2)
def _families(path: str = str(CUES_FILE)) -> Tuple[Tuple[ScopeCue, Tuple["re.Pattern", ...]], ...]:
    spec = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    places = {k: str(v) for k, v in (spec.get("places") or {}).items()}
    out = []
    for family, body in (spec.get("families") or {}).items():
        patterns = []
        for raw in body.get("patterns") or ():
            patterns.append(re.compile(_with_places(raw, places), re.ASCII))  # \b between 的 and "agency" too
        out.append((ScopeCue(family, tuple(body.get("unless") or ()), tuple(body.get("only") or ())),
                    tuple(patterns)))
    return tuple(out)


def _with_places(raw: str, places: dict) -> str:
    """``raw`` with every {name} replaced by its alternation (a place may name other places)."""
    for _ in range(len(places) + 1):  # bounded: a place naming itself cannot loop forever
        previous = raw
        for name, alternation in places.items():
            raw = raw.replace("{" + name + "}", alternation)
        if raw == previous:
            break
    return raw


def outside_scope(text: str) -> Optional[ScopeCue]:
    """The first family whose wording ``text`` has (normalised: Simplified, lower case), with the
    other families it matches, or None."""
    from knowledge_base.text import normalize

    norm = normalize(text or "")[:MAX_CHARS]
    if not norm or norm.startswith("/"):
        return None
    found = [cue for cue, patterns in _families() if any(p.search(norm) for p in patterns)]
    if not found:
        return None
    return dataclasses.replace(found[0], also=tuple(found[1:])) if len(found) > 1 else found[0]
