"""Between knowledge-base records (canonical form) and the console's flat edit forms.

Pure: the field spec (console/content_fields.yml) says how each field is shown and read back.
Validation is the knowledge base's own (the CLI's); its issues are mapped back to form fields.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Optional

import yaml

FIELDS_FILE = Path(__file__).with_name("content_fields.yml")
_HOURS_RE = re.compile(r"^\s*(?P<days>[a-z,\-]+)\s+(?P<open>\S+)\s*-\s*(?P<close>\S+)\s*$")
_LUNCH_RE = re.compile(r"^\s*(?P<start>\S+)\s*-\s*(?P<end>\S+)\s*$")


@dataclass(frozen=True)
class FieldSpec:
    path: str
    kind: str
    optional: bool = False
    source: Optional[str] = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class EntitySpec:
    name: str
    fields: tuple[FieldSpec, ...]
    list_columns: tuple[str, ...]
    search: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.fields[0].path


@lru_cache(maxsize=1)
def entities() -> dict[str, EntitySpec]:
    data = yaml.safe_load(FIELDS_FILE.read_text(encoding="utf-8"))["entities"]
    return {
        name: EntitySpec(
            name,
            tuple(FieldSpec(f["path"], f["kind"], bool(f.get("optional")), f.get("source"),
                            tuple(f.get("choices") or ())) for f in spec["fields"]),
            tuple(spec["list"]), tuple(spec["search"]))
        for name, spec in data.items()
    }


def get_path(record: dict, path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _set_path(record: dict, path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        record = record.setdefault(part, {})
    record[parts[-1]] = value


def _hours_to_text(hours: Any) -> str:
    return "\n".join(f"{h.get('days')} {h.get('open')}-{h.get('close')}" for h in hours or [] if isinstance(h, dict))


def show(field: FieldSpec, value: Any) -> str:
    """The text a form shows for ``value``."""
    if value is None:
        return ""
    if field.kind in ("lines", "multi"):
        return "\n".join(str(v) for v in value)
    if field.kind == "words":
        return ", ".join(str(v) for v in value)
    if field.kind == "hours":
        return _hours_to_text(value)
    if field.kind == "lunch":
        return f"{value.get('start')}-{value.get('end')}" if isinstance(value, dict) else ""
    return str(value)


def form_values(entity: str, record: dict) -> dict[str, str]:
    """A record as form field values (field name = path)."""
    return {f.path: show(f, get_path(record, f.path)) for f in entities()[entity].fields}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def read(field: FieldSpec, text: str) -> Any:
    """The value a field's text stands for (malformed text is kept so validation reports it)."""
    text = (text or "").replace("\r\n", "\n")
    if field.kind in ("lines", "multi"):
        return _lines(text)
    if field.kind == "words":
        return [w.strip() for w in re.split(r"[,，、]", text) if w.strip()]
    if field.kind == "hours":
        periods = []
        for line in _lines(text):
            m = _HOURS_RE.match(line)
            periods.append(m.groupdict() if m else {"days": line, "open": None, "close": None})
        return periods
    if field.kind == "lunch":
        if not text.strip():
            return None
        m = _LUNCH_RE.match(text)
        return m.groupdict() if m else {"start": text.strip(), "end": None}
    value = text.strip()
    if not value and field.optional:
        return None
    return value


def record_from_form(entity: str, values: dict[str, str]) -> dict:
    """The canonical record a submitted form describes (not yet validated)."""
    record: dict = {}
    for f in entities()[entity].fields:
        value = read(f, values.get(f.path, ""))
        if value is None and f.optional and f.kind in ("lunch", "text", "select") and f.path != "online.url":
            continue
        _set_path(record, f.path, value)
    return record


def field_errors(entity: str, issues: Iterable[Any]) -> dict[str, list[str]]:
    """Validation issues by form field: an issue on ``hours[1]`` belongs to ``hours``, one on
    ``aliases`` (the whole pair) to ``aliases.zh`` and ``aliases.en``; the rest under ``""``."""
    paths = [f.path for f in entities()[entity].fields]
    out: dict[str, list[str]] = {}
    for issue in issues:
        name = re.sub(r"\[\d+\].*$", "", str(getattr(issue, "field", "") or ""))
        targets = [p for p in paths if p == name] or [p for p in paths if p.startswith(name + ".")] \
            or [p for p in paths if name.startswith(p + ".")]
        for target in targets or [""]:
            out.setdefault(target, []).append(issue.message)
    return out


def matches(entity: str, record: dict, query: str) -> bool:
    """Whether a record contains ``query`` (case-insensitive) in one of its searchable fields."""
    q = query.strip().lower()
    if not q:
        return True
    for path in entities()[entity].search:
        value = get_path(record, path)
        values = value if isinstance(value, list) else [value]
        if any(q in str(v).lower() for v in values if v is not None):
            return True
    return False


MESSAGES_FILE = Path(__file__).with_name("kb_messages.yml")


@lru_cache(maxsize=1)
def _message_patterns() -> tuple[tuple[re.Pattern, dict[str, str]], ...]:
    data = yaml.safe_load(MESSAGES_FILE.read_text(encoding="utf-8"))["messages"]
    return tuple((re.compile(m["pattern"]), {"zh": m["zh"], "en": m["en"]}) for m in data)


def translate_message(message: str, lang: str) -> str:
    """A validation message of the knowledge base in the reader's language (console/kb_messages.yml);
    one no pattern knows is returned as it is."""
    for pattern, texts in _message_patterns():
        match = pattern.search(message)
        if match:
            return texts.get(lang, texts["zh"]).format(**match.groupdict())
    return message
