"""The console's interface texts (console/texts.yml, zh and en) and the reader's language."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("zh", "en")
TEXTS_FILE = Path(__file__).with_name("texts.yml")


@lru_cache(maxsize=1)
def texts() -> dict[str, dict[str, str]]:
    """Every interface text by key; each has a zh and an en version (checked by the tests)."""
    return yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8"))


def translate(key: str, lang: str, **params: Any) -> str:
    """The text ``key`` in ``lang`` with ``{params}`` filled in; the key itself if unknown."""
    entry = texts().get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry.get("zh") or key
    return text.format(**params) if params else text


def language_from_header(accept_language: str | None) -> str:
    """The first of zh/en in the browser's Accept-Language (by q value); zh if neither."""
    best, best_q = "zh", -1.0
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, q = part.strip().partition(";q=")
        lang = tag.strip().lower()[:2]
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        weight -= position * 1e-6  # earlier wins among equal weights
        if lang in LANGUAGES and weight > best_q:
            best, best_q = lang, weight
    return best
