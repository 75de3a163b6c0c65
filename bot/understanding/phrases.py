"""The knowledge base's own wording for each service: names, aliases and FAQ questions.

Works on the YAML content (dicts, at training time) and on the repository's records (objects
with ``.zh``/``.en`` fields, at serving time) alike, so staff edits reach the semantic index.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, List, Tuple

import yaml

LANGS = ("zh", "en")


def _values(field: Any, lang: str) -> List[str]:
    value = field.get(lang) if isinstance(field, dict) else getattr(field, lang, None)
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, (list, tuple)) else [value]) if str(v).strip()]


def _get(record: Any, name: str) -> Any:
    return record.get(name) if isinstance(record, dict) else getattr(record, name, None)


def service_phrases(services: Iterable[Any], faqs: Iterable[Any]) -> List[Tuple[str, str]]:
    """``(text, service_id)`` for every name, alias and FAQ question, without duplicates."""
    out: dict[Tuple[str, str], None] = {}
    for service in services:
        sid = _get(service, "id")
        for field in ("name", "aliases"):
            value = _get(service, field)
            for lang in LANGS:
                for text in _values(value or {}, lang):
                    out[(text, sid)] = None
    for faq in faqs:
        sid = _get(faq, "service_id") or _get(faq, "service")
        if not sid:
            continue
        for lang in LANGS:
            for text in _values(_get(faq, "questions") or {}, lang):
                out[(text, sid)] = None
    return list(out)


def content_phrases(content_dir: Path) -> List[Tuple[str, str]]:
    """``service_phrases`` of the knowledge-base YAML under ``content_dir``."""
    def records(folder: str, key: str) -> List[dict]:
        found: List[dict] = []
        for path in sorted((content_dir / folder).glob("*.yml")):
            found.extend((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(key) or [])
        return found

    return service_phrases(records("services", "services"), records("faqs", "faqs"))
