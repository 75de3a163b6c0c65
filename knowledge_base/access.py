"""One entry point to the live knowledge base for the Rasa server and the action server.

Holds an engine and session factory (created on first use, never at import), the search
index (rebuilt when the content version changes) and small lookups such as district names.
"""
from __future__ import annotations

import re
import threading
import time
from contextlib import contextmanager
from typing import Iterator, Optional

from sqlalchemy.orm import Session

from knowledge_base import db, repository


class KnowledgeBaseAccess:
    """Read access to the knowledge base: sessions, search, district lookup."""

    def __init__(self, url: Optional[str] = None, refresh_seconds: float = 0.0) -> None:
        """``refresh_seconds``: how long a read content version is trusted before it is read
        again (a staff edit is live within that time; 0 reads it on every call)."""
        self._refresh_seconds = refresh_seconds
        self._version: tuple[float, int] = (float("-inf"), -1)
        self._version_lock = threading.Lock()
        self._engine = db.get_engine(url)
        self._sessions = db.make_sessionmaker(self._engine)
        self._district_version: Optional[int] = None
        self._district_patterns: list[tuple[re.Pattern, str]] = []
        self._corrector_version: Optional[int] = None
        self._corrector = None
        self._ids_version: Optional[int] = None
        self._ids: dict[str, frozenset[str]] = {}
        self._services_version: Optional[int] = None
        self._phrases_version: Optional[int] = None
        self._phrases: tuple[tuple[str, str], ...] = ()
        self._services: dict[str, Optional[repository.Service]] = {}

    @classmethod
    def from_settings(cls) -> "KnowledgeBaseAccess":
        from bot.settings import Settings

        settings = Settings.from_env()
        return cls(settings.database_url, settings.kb_refresh_seconds)

    def content_version(self) -> int:
        """The knowledge base's content version, read at most once per ``refresh_seconds``."""
        read_at, version = self._version
        now = time.monotonic()
        if now - read_at < self._refresh_seconds:
            return version
        with self._version_lock:
            if time.monotonic() - self._version[0] < self._refresh_seconds:
                return self._version[1]
            with self.session() as session:
                version = repository.content_version(session)
            self._version = (time.monotonic(), version)
        return version

    def refresh(self) -> None:
        """Forget the content version read last (the next call reads it again)."""
        self._version = (float("-inf"), -1)

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
        finally:
            session.close()

    def service(self, service_id: str) -> Optional[repository.Service]:
        """One service as of the current content version, kept in memory until staff change the
        content (a lookup per answer was half of an action server's database time)."""
        version = self.content_version()
        if self._services_version != version:
            self._services, self._services_version = {}, version
        if service_id not in self._services:
            with self.session() as session:
                self._services[service_id] = repository.get_service(session, service_id)
        return self._services[service_id]

    def service_phrases(self) -> tuple[tuple[str, str], ...]:
        """(normalised name or alias, service id) of every service, longest first (read again when
        the content changes: an alias staff just added counts at once)."""
        from knowledge_base.text import normalize

        version = self.content_version()
        if version != self._phrases_version:
            with self.session() as session:
                pairs = {(normalize(p), s.id) for s in repository.list_services(session)
                         for p in (s.name.zh, s.name.en, *s.aliases.zh, *s.aliases.en) if p}
            self._phrases = tuple(sorted(pairs, key=lambda pair: (-len(pair[0]), pair)))
            self._phrases_version = version
        return self._phrases

    def searcher(self):
        from knowledge_base.search import get_searcher

        return get_searcher(self._sessions, self.content_version())

    def search(self, text: str, lang: Optional[str] = None, limit: int = 5):
        """Ranked service and FAQ hits for ``text`` (sound-alike typos of service words corrected)."""
        return self.searcher().search(self.corrector().correct(text or ""), lang=lang, limit=limit)

    def corrector(self):
        """The homophone corrector for the current content (rebuilt when the content changes)."""
        from knowledge_base.spelling import HomophoneCorrector

        version = self.content_version()
        if version != self._corrector_version:
            with self.session() as session:
                self._corrector = HomophoneCorrector.for_services(repository.list_services(session))
            self._corrector_version = version
        return self._corrector

    def rank_services(self, text: str, lang: Optional[str] = None, limit: int = 5) -> list[tuple[str, float]]:
        """Best score per service (FAQ hits count for their service), highest first."""
        best: dict[str, float] = {}
        for hit in self.search(text, lang=lang, limit=limit * 3):
            if hit.service_id and hit.score > best.get(hit.service_id, 0.0):
                best[hit.service_id] = hit.score
        return sorted(best.items(), key=lambda kv: -kv[1])[:limit]

    def known_ids(self) -> dict[str, frozenset[str]]:
        """The ids the current content knows: ``{"service": ..., "district": ...}`` (read again
        when the content changes)."""
        version = self.content_version()
        if version != self._ids_version:
            with self.session() as session:
                self._ids = {"service": frozenset(s.id for s in repository.list_services(session)),
                             "district": frozenset(d.id for d in repository.list_districts(session))}
            self._ids_version = version
        return self._ids

    def find_district(self, text: str) -> Optional[str]:
        """The id of a district named in ``text`` (Chinese, Traditional or English), if any."""
        from knowledge_base.text import normalize

        self._refresh_districts()
        norm = normalize(text)
        for pattern, district_id in self._district_patterns:
            if pattern.search(norm):
                return district_id
        return None

    def _refresh_districts(self) -> None:
        from knowledge_base.text import normalize

        version = self.content_version()
        if version == self._district_version:
            return
        with self.session() as session:
            districts = repository.list_districts(session)
        patterns = []
        for d in districts:
            zh = normalize(d.name.zh)
            names = {zh, zh[:-1] if zh.endswith("区") and len(zh) >= 3 else zh}
            en_full = normalize(d.name.en)
            en_short = re.sub(r"\b(district|new area|zone)\b", "", en_full).split("(")[0].strip()
            for name in names:
                patterns.append((re.compile(re.escape(name)), d.id))
            for name in {en_full, en_short} - {""}:
                patterns.append((re.compile(r"\b" + re.escape(name) + r"\b"), d.id))
        patterns.sort(key=lambda p: -len(p[0].pattern))
        self._district_patterns = patterns
        self._district_version = version
