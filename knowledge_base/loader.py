"""Parse knowledge-base content (YAML, JSON, FAQ sheets) into canonical records, and validate it.

Every record is turned into its canonical dict (the shape of ``models.*.to_dict()``); problems are
collected as :class:`Issue` objects instead of raised.  ``import`` and ``validate`` share this code.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

CONTENT_SUFFIXES = {".yml", ".yaml", ".json", ".csv", ".xlsx"}
ENTITY_KEYS = {
    "districts": "district",
    "departments": "department",
    "offices": "office",
    "services": "service",
    "faqs": "faq",
}
TOP_LEVEL_KEYS = set(ENTITY_KEYS) | {"public_holidays", "makeup_workdays", "timezone", "calendar"}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
SHEET_COLUMNS = ("id", "service", "tags", "question_zh", "question_en", "answer_zh", "answer_en")
FORMAT_VERSION = "1"


@dataclass(frozen=True)
class Issue:
    """One validation problem: ``FILE: RECORD: FIELD: message``."""

    file: str
    record: str
    field: str
    message: str
    severity: str = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        prefix = "warning: " if not self.is_error else ""
        return f"{self.file}: {self.record}: {self.field}: {prefix}{self.message}"


class ValidationFailed(Exception):
    """Raised by write helpers when data does not validate; ``issues`` says why."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


@dataclass
class Content:
    """Parsed content: canonical records by kind and id, where each came from, and the issues."""

    records: dict[str, dict[str, dict]] = field(
        default_factory=lambda: {k: {} for k in (*ENTITY_KEYS.values(), "calendar_day", "setting")}
    )
    origins: dict[tuple[str, str], str] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]

    def add(self, kind: str, rid: str | None, record: dict | None, file: str, label: str) -> None:
        """Register a record, reporting a duplicate id (within or across files)."""
        if not rid or record is None:
            return
        if rid in self.records[kind]:
            other = self.origins[(kind, rid)]
            where = "in the same file" if other == file else f"also in {other}"
            self.issues.append(Issue(file, label, "id", f"duplicate {kind} id '{rid}' ({where})"))
            return
        self.records[kind][rid] = record
        self.origins[(kind, rid)] = file


# --------------------------------------------------------------------------- field checks


_RAW = object()  # "read the field from the raw record"


class _Checker:
    """Field checks for one raw record; appends issues, returns canonical values."""

    def __init__(self, issues: list[Issue], file: str, label: str, raw: Any):
        self.issues, self.file, self.label = issues, file, label
        self.raw = raw if isinstance(raw, dict) else {}
        if not isinstance(raw, dict):
            self.err("-", "record must be a mapping")

    def err(self, fld: str, msg: str) -> None:
        self.issues.append(Issue(self.file, self.label, fld, msg))

    def warn(self, fld: str, msg: str) -> None:
        self.issues.append(Issue(self.file, self.label, fld, msg, "warning"))

    def unknown(self, allowed: Iterable[str]) -> None:
        for key in self.raw:
            if key not in allowed:
                self.warn(str(key), "unknown field ignored")

    def _text(self, fld: str, value: Any, required: bool = True) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.err(fld, "missing or empty")
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            self.err(fld, "must be a text")
            return None
        return value

    def text(self, fld: str, required: bool = True) -> str | None:
        return self._text(fld, self.raw.get(fld), required)

    def ident(self, fld: str = "id", required: bool = True) -> str | None:
        value = self.text(fld, required)
        if value is not None and not ID_RE.match(value):
            self.err(fld, f"'{value}' is not a valid id (lower_snake_case)")
            return None
        return value

    def _mapping(self, fld: str, value: Any) -> dict | None:
        if value is None:
            self.err(fld, "missing (needs zh and en)")
            return None
        if not isinstance(value, dict):
            self.err(fld, "must be a mapping with zh and en")
            return None
        for key in value:
            if key not in ("zh", "en"):
                self.warn(f"{fld}.{key}", "unknown language ignored")
        return value

    def bi(self, fld: str, value: Any = _RAW) -> dict | None:
        value = self._mapping(fld, self.raw.get(fld) if value is _RAW else value)
        if value is None:
            return None
        out = {lang: self._text(f"{fld}.{lang}", value.get(lang)) for lang in ("zh", "en")}
        return out if None not in out.values() else None

    def bi_list(self, fld: str, value: Any = _RAW) -> dict | None:
        value = self._mapping(fld, self.raw.get(fld) if value is _RAW else value)
        if value is None:
            return None
        out: dict = {}
        for lang in ("zh", "en"):
            items = value.get(lang)
            if isinstance(items, str):
                items = [items]
            if not isinstance(items, list) or not items:
                self.err(f"{fld}.{lang}", "missing or empty list")
                continue
            texts = [self._text(f"{fld}.{lang}[{i}]", v) for i, v in enumerate(items)]
            if None not in texts:
                out[lang] = texts
        return out if len(out) == 2 else None

    def url(self, fld: str, value: Any, required: bool = True) -> str | None:
        value = self._text(fld, value, required)
        if value is None:
            return None
        if not is_valid_url(value):
            self.err(fld, f"malformed URL '{value}' (must be http(s)://host/...)")
            return None
        return value

    def day(self, fld: str, value: Any) -> str | None:
        if value is None or value == "":
            self.err(fld, "missing date")
            return None
        try:
            return parse_iso_date(value).isoformat()
        except (ValueError, TypeError):
            self.err(fld, f"invalid date '{value}' (expected YYYY-MM-DD)")
            return None

    def str_list(self, fld: str, value: Any) -> list[str] | None:
        if value is None:
            return []
        if not isinstance(value, list):
            self.err(fld, "must be a list")
            return None
        out = [self._text(f"{fld}[{i}]", v) for i, v in enumerate(value)]
        return out if None not in out else None


def is_valid_url(value: str) -> bool:
    """True for an http(s) URL with a host and no whitespace."""
    if not isinstance(value, str) or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def parse_iso_date(value: Any) -> date:
    """A ``date`` from a date object or a strict ``YYYY-MM-DD`` string (ValueError otherwise)."""
    if isinstance(value, date):
        return value if type(value) is date else value.date()  # type: ignore[attr-defined]
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ValueError(value)
    return date.fromisoformat(value.strip())


def parse_days(spec: Any) -> list[int]:
    """Weekday numbers (0 = Monday) for a spec like ``mon-fri``, ``sat`` or ``mon,wed-thu``."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError("empty day spec")
    days: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        ends = [p.strip() for p in part.split("-")]
        if len(ends) > 2 or any(e not in DAYS for e in ends):
            raise ValueError(f"bad day name in '{part}' (use mon..sun, ranges like mon-fri)")
        first, last = DAYS.index(ends[0]), DAYS.index(ends[-1])
        if first > last:
            raise ValueError(f"day range '{part}' runs backwards")
        days.extend(range(first, last + 1))
    return days


def parse_time(value: Any) -> int:
    """Minutes after midnight for ``HH:MM`` (ValueError otherwise)."""
    if not isinstance(value, str) or not TIME_RE.match(value):
        raise ValueError(f"time {value!r} is not HH:MM (quote times in YAML)")
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


# --------------------------------------------------------------------------- record normalisers


def normalize_district(c: _Checker) -> dict | None:
    c.unknown(("id", "name"))
    rid, name = c.ident(), c.bi("name")
    return {"id": rid, "name": name} if rid and name else None


def normalize_department(c: _Checker) -> dict | None:
    c.unknown(("id", "name", "phone", "hotline", "website"))
    rec = {"id": c.ident(), "name": c.bi("name"), "phone": c.text("phone")}
    hotline = c.text("hotline", required=False)
    if hotline:
        rec["hotline"] = hotline
    rec["website"] = c.url("website", c.raw.get("website"))
    return rec if None not in rec.values() else None


def _check_hours(c: _Checker, hours: Any, lunch: Any) -> tuple[list | None, dict | None, bool]:
    ok = True
    ranges: list[dict] = []
    per_day: dict[int, list[tuple[int, int, int]]] = {}
    if not isinstance(hours, list) or not hours:
        c.err("hours", "missing or empty list of {days, open, close}")
        hours, ok = [], False
    for i, entry in enumerate(hours):
        fld = f"hours[{i}]"
        if not isinstance(entry, dict):
            c.err(fld, "must be a mapping {days, open, close}")
            ok = False
            continue
        for key in entry:
            if key not in ("days", "open", "close"):
                c.warn(f"{fld}.{key}", "unknown field ignored")
        try:
            days = parse_days(entry.get("days"))
        except ValueError as exc:
            c.err(f"{fld}.days", str(exc))
            ok, days = False, []
        try:
            start, end = parse_time(entry.get("open")), parse_time(entry.get("close"))
        except ValueError as exc:
            c.err(fld, str(exc))
            ok = False
            continue
        if start >= end:
            c.err(fld, f"opening time {entry['open']} is not before closing time {entry['close']}")
            ok = False
            continue
        ranges.append({"days": entry["days"], "open": entry["open"], "close": entry["close"]})
        for d in days:
            per_day.setdefault(d, []).append((start, end, i))
    for d, spans in sorted(per_day.items()):
        spans.sort()
        for (s1, e1, i1), (s2, e2, i2) in pairwise(spans):
            if s2 < e1:
                c.err(f"hours[{max(i1, i2)}]", f"overlaps hours[{min(i1, i2)}] on {DAYS[d]}")
                ok = False
    out_lunch = None
    if lunch is not None:
        if not isinstance(lunch, dict):
            c.err("lunch", "must be a mapping {start, end}")
            return None, None, False
        try:
            ls, le = parse_time(lunch.get("start")), parse_time(lunch.get("end"))
        except ValueError as exc:
            c.err("lunch", str(exc))
            return None, None, False
        if ls >= le:
            c.err("lunch", f"lunch start {lunch['start']} is not before its end {lunch['end']}")
            ok = False
        elif per_day and not any(s <= ls and le <= e for spans in per_day.values() for s, e, _ in spans):
            c.err("lunch", "lunch break lies outside the opening hours")
            ok = False
        out_lunch = {"start": lunch["start"], "end": lunch["end"]}
    return (ranges if ok else None), out_lunch, ok


def normalize_office(c: _Checker) -> dict | None:
    c.unknown(("id", "name", "address", "district", "phone", "hours", "lunch", "holidays"))
    rec: dict = {
        "id": c.ident(),
        "name": c.bi("name"),
        "address": c.bi("address"),
        "district": c.ident("district"),
        "phone": c.text("phone"),
    }
    hours, lunch, ok = _check_hours(c, c.raw.get("hours"), c.raw.get("lunch"))
    rec["hours"] = hours
    if lunch:
        rec["lunch"] = lunch
    holidays = c.raw.get("holidays")
    if holidays not in ("open", "closed"):
        c.err("holidays", f"must be 'open' or 'closed', not {holidays!r}")
        holidays = None
    rec["holidays"] = holidays
    return rec if ok and None not in rec.values() else None


def normalize_service(c: _Checker) -> dict | None:
    fields = ("id", "name", "category", "department", "offices", "aliases", "summary", "eligibility",
              "materials", "steps", "fee", "processing_time", "online", "source_url", "last_verified")
    c.unknown(fields)
    rec: dict = {
        "id": c.ident(),
        "name": c.bi("name"),
        "category": c.ident("category"),
        "department": c.ident("department"),
    }
    offices = c.raw.get("offices")
    if not isinstance(offices, list) or not offices:
        c.err("offices", "missing or empty list of office ids")
        offices = None
    else:
        ids = [c._text(f"offices[{i}]", o) for i, o in enumerate(offices)]
        if len(set(ids)) != len(ids):
            c.err("offices", "lists an office twice")
        offices = ids if None not in ids and len(set(ids)) == len(ids) else None
    rec["offices"] = offices
    rec["aliases"] = c.bi_list("aliases")
    for name in ("summary", "eligibility"):
        rec[name] = c.bi(name)
    for name in ("materials", "steps"):
        rec[name] = c.bi_list(name)
    for name in ("fee", "processing_time"):
        rec[name] = c.bi(name)
    online = c.raw.get("online")
    if not isinstance(online, dict):
        c.err("online", "missing (needs url (may be null), zh and en)")
        rec["online"] = None
    else:
        url = online.get("url")
        url = c.url("online.url", url, required=False) if url not in (None, "") else None
        text = c.bi("online", {"zh": online.get("zh"), "en": online.get("en")})
        bad_url = online.get("url") not in (None, "") and url is None
        rec["online"] = {"url": url, **text} if text and not bad_url else None
    rec["source_url"] = c.url("source_url", c.raw.get("source_url"))
    rec["last_verified"] = c.day("last_verified", c.raw.get("last_verified"))
    return rec if None not in rec.values() else None


def normalize_faq(c: _Checker) -> dict | None:
    c.unknown(("id", "service", "tags", "questions", "answer"))
    rec: dict = {"id": c.ident()}
    service = c.ident("service", required=False)
    bad_service = not service and c.raw.get("service") not in (None, "")
    if service:
        rec["service"] = service
    rec["tags"] = c.str_list("tags", c.raw.get("tags"))
    rec["questions"] = c.bi_list("questions")
    if rec["questions"]:
        for lang in ("zh", "en"):
            if len(rec["questions"][lang]) < 2:
                c.warn(f"questions.{lang}", "fewer than 2 phrasings")
    rec["answer"] = c.bi("answer")
    return rec if None not in rec.values() and not bad_service else None


def normalize_calendar_day(c: _Checker, kind: str) -> dict | None:
    c.unknown(("date", "name", "kind"))
    day = c.day("date", c.raw.get("date"))
    name = c.bi("name")
    return {"date": day, "kind": kind, "name": name} if day and name else None


def normalize_setting(c: _Checker) -> dict | None:
    rid, value = c.ident(), c.raw.get("value")
    if rid == "timezone":
        value = check_timezone(c, value)
    return {"id": rid, "value": value} if rid and value is not None else None


def check_timezone(c: _Checker, value: Any) -> str | None:
    from zoneinfo import ZoneInfo

    value = c._text("timezone", value)
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ValueError, KeyError, OSError):
        c.err("timezone", f"unknown time zone '{value}'")
        return None
    return value


NORMALIZERS = {
    "district": normalize_district,
    "department": normalize_department,
    "office": normalize_office,
    "service": normalize_service,
    "faq": normalize_faq,
    "setting": normalize_setting,
}


def normalize_record(kind: str, raw: Any, file: str = "<input>", label: str | None = None):
    """Canonical form of one record of ``kind`` and the issues found: ``(record | None, issues)``."""
    issues: list[Issue] = []
    if label is None:
        label = str(raw.get("id") or raw.get("date") or "?") if isinstance(raw, dict) else "?"
    c = _Checker(issues, file, label, raw)
    if kind == "calendar_day":
        kind_value = c.raw.get("kind")
        if kind_value not in ("holiday", "makeup_workday"):
            c.err("kind", "must be 'holiday' or 'makeup_workday'")
            return None, issues
        record = normalize_calendar_day(c, kind_value)
    else:
        record = NORMALIZERS[kind](c) if isinstance(raw, dict) else None
    errors = [i for i in issues if i.is_error]
    return (None if errors else record), issues


# --------------------------------------------------------------------------- documents and files


class _ContentLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when available
    """SafeLoader that leaves dates as strings so they are validated here, not by PyYAML."""


_ContentLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _label(raw: Any, index: int, key: str = "id") -> str:
    if isinstance(raw, dict) and raw.get(key) not in (None, ""):
        return str(raw[key])
    return f"#{index + 1}"


def add_document(content: Content, doc: Any, file: str) -> None:
    """Add one parsed document (mapping of top-level keys) to ``content``."""
    if doc is None:
        return
    if not isinstance(doc, dict):
        content.issues.append(Issue(file, "-", "-", "top level must be a mapping"))
        return
    if isinstance(doc.get("calendar"), dict):
        doc = {**{k: v for k, v in doc.items() if k != "calendar"}, **doc["calendar"]}
    for key, value in doc.items():
        if key not in TOP_LEVEL_KEYS:
            content.issues.append(Issue(file, "-", str(key), "unknown top-level key"))
            continue
        if key == "timezone":
            _add_timezone(content, value, file)
            continue
        if not isinstance(value, list):
            content.issues.append(Issue(file, "-", key, "must be a list"))
            continue
        for i, raw in enumerate(value):
            if key in ENTITY_KEYS:
                kind, label = ENTITY_KEYS[key], _label(raw, i)
                c = _Checker(content.issues, file, label, raw)
                record = NORMALIZERS[kind](c) if isinstance(raw, dict) else None
                content.add(kind, record and record["id"], record, file, label)
            else:
                _add_calendar_day(content, key, raw, i, file)


def _add_timezone(content: Content, value: Any, file: str) -> None:
    c = _Checker(content.issues, file, "timezone", {})
    tz = check_timezone(c, value)
    if tz is None:
        return
    existing = content.records["setting"].get("timezone")
    if existing and existing["value"] != tz:
        other = content.origins[("setting", "timezone")]
        c.err("timezone", f"conflicting time zone '{tz}' (also set to '{existing['value']}' in {other})")
    elif not existing:
        content.add("setting", "timezone", {"id": "timezone", "value": tz}, file, "timezone")


def _add_calendar_day(content: Content, key: str, raw: Any, index: int, file: str) -> None:
    kind = "holiday" if key == "public_holidays" else "makeup_workday"
    label = _label(raw, index, "date")
    c = _Checker(content.issues, file, label, raw)
    record = normalize_calendar_day(c, kind) if isinstance(raw, dict) else None
    if record is None:
        return
    day = record["date"]
    other = content.records["calendar_day"].get(day)
    if other is not None and other["kind"] != kind:
        where = content.origins[("calendar_day", day)]
        c.err("date", f"{day} is both a public holiday and a make-up workday (see {where})")
        return
    if kind == "makeup_workday" and date.fromisoformat(day).weekday() < 5:
        c.warn("date", f"make-up workday {day} is not a weekend day")
    content.add("calendar_day", day, record, file, label)


def _split_variants(value: Any) -> list[str]:
    if value is None:
        return []
    return [v.strip() for v in re.split(r"[\n|]", str(value)) if v.strip()]


def faq_from_row(row: dict[str, Any]) -> dict:
    """A raw FAQ record from a sheet row with the columns of ``SHEET_COLUMNS``."""
    cell = {k: (str(v).strip() if v is not None else "") for k, v in row.items()}
    raw: dict = {"id": cell.get("id", "")}
    if cell.get("service"):
        raw["service"] = cell["service"]
    raw["tags"] = [t.strip() for t in re.split(r"[,，]", cell.get("tags", "")) if t.strip()]
    raw["questions"] = {"zh": _split_variants(row.get("question_zh")), "en": _split_variants(row.get("question_en"))}
    raw["answer"] = {"zh": row.get("answer_zh"), "en": row.get("answer_en")}
    return raw


def _sheet_rows(path: Path) -> list[dict]:
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = [list(r) for r in csv.reader(fh)]
    else:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        finally:
            wb.close()
    if not rows:
        return []
    header = [str(h or "").strip().lower() for h in rows[0]]
    return [
        {"_row": n, **dict(zip(header, r))}
        for n, r in enumerate(rows[1:], start=2)
        if any(v not in (None, "") for v in r)
    ]


def add_sheet(content: Content, path: Path, file: str) -> None:
    """Add FAQ entries from an .xlsx or .csv sheet."""
    rows = _sheet_rows(path)
    header = set(rows[0]) if rows else set()
    missing = [c for c in SHEET_COLUMNS if c not in ("service", "tags") and c not in header]
    if rows and missing:
        content.issues.append(Issue(file, "-", ",".join(missing), "missing column(s)"))
        return
    for row in rows:
        label = str(row.get("id") or f"row {row['_row']}")
        raw = faq_from_row(row)
        c = _Checker(content.issues, file, label, raw)
        record = normalize_faq(c)
        content.add("faq", record and record["id"], record, file, label)


def content_files(path: Path) -> list[Path]:
    """Content files under ``path`` (or ``path`` itself), sorted, skipping hidden and lock files."""
    path = Path(path)
    if path.is_file():
        return [path]
    found = []
    for p in sorted(path.rglob("*")):
        rel = p.relative_to(path).parts
        if p.is_file() and p.suffix.lower() in CONTENT_SUFFIXES and not any(
            part.startswith((".", "~$")) for part in rel
        ):
            found.append(p)
    return found


def load_path(path: str | os.PathLike) -> Content:
    """Parse a content file or directory into a :class:`Content` (never raises on bad content)."""
    path = Path(path)
    content = Content()
    if not path.exists():
        content.issues.append(Issue(str(path), "-", "-", "no such file or directory"))
        return content
    for p in content_files(path):
        file = str(p)
        content.files.append(p)
        try:
            if p.suffix.lower() in (".csv", ".xlsx"):
                add_sheet(content, p, file)
            elif p.suffix.lower() == ".json":
                add_document(content, json.loads(p.read_text(encoding="utf-8")), file)
            else:
                add_document(content, yaml.load(p.read_text(encoding="utf-8"), Loader=_ContentLoader), file)
        except (yaml.YAMLError, json.JSONDecodeError, UnicodeDecodeError, OSError, ValueError) as exc:
            content.issues.append(Issue(file, "-", "-", f"cannot parse: {exc}".replace("\n", " ")))
        except Exception as exc:  # noqa: BLE001 - openpyxl raises assorted errors on corrupt sheets
            content.issues.append(Issue(file, "-", "-", f"cannot read: {exc}"))
    return content


# --------------------------------------------------------------------------- cross-record checks


def check_references(content: Content, existing: dict[str, set[str]] | None = None) -> list[Issue]:
    """Unknown district / department / office / service references (input plus ``existing`` ids)."""
    existing = existing or {}

    def known(kind: str) -> set[str]:
        return set(content.records[kind]) | set(existing.get(kind, ()))

    districts, departments, offices, services = (known(k) for k in ("district", "department", "office", "service"))
    issues = []

    def bad(kind: str, rid: str, fld: str, msg: str) -> None:
        issues.append(Issue(content.origins[(kind, rid)], rid, fld, msg))

    for rid, rec in content.records["office"].items():
        if rec["district"] not in districts:
            bad("office", rid, "district", f"unknown district '{rec['district']}'")
    for rid, rec in content.records["service"].items():
        if rec["department"] not in departments:
            bad("service", rid, "department", f"unknown department '{rec['department']}'")
        for i, office in enumerate(rec["offices"]):
            if office not in offices:
                bad("service", rid, f"offices[{i}]", f"unknown office '{office}'")
    for rid, rec in content.records["faq"].items():
        if rec.get("service") and rec["service"] not in services:
            bad("faq", rid, "service", f"unknown service '{rec['service']}'")
    return issues


def default_catalogue_path() -> Path:
    """``KB_SERVICE_CATALOGUE``, else ``$SHARED_DIR/spec/service_catalogue.yml``, else
    ``../shared/spec/service_catalogue.yml`` beside the repository."""
    env = os.environ.get("KB_SERVICE_CATALOGUE")
    if env:
        return Path(env)
    shared = os.environ.get("SHARED_DIR")
    if shared:
        return Path(shared) / "spec" / "service_catalogue.yml"
    return Path(__file__).resolve().parent.parent.parent / "shared" / "spec" / "service_catalogue.yml"


def load_catalogue(path: str | os.PathLike | None = None) -> dict[str, dict] | None:
    """Catalogue service ids → ``{zh, en}`` working titles; None if the catalogue file is absent."""
    path = Path(path) if path else default_catalogue_path()
    if not path.is_file():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {s["id"]: {"zh": s.get("zh"), "en": s.get("en")} for s in data.get("services", [])}


def check_catalogue(content: Content, catalogue: dict | None) -> list[Issue]:
    """Warnings for service ids that are not in the catalogue (deployments may add services)."""
    if catalogue is None:
        return []
    return [
        Issue(content.origins[("service", rid)], rid, "id", "service id is not in the service catalogue", "warning")
        for rid in content.records["service"]
        if rid not in catalogue
    ]


def validate(content: Content, existing: dict[str, set[str]] | None = None, catalogue: Any = "default") -> list[Issue]:
    """All issues of ``content``: record checks, references (with ``existing`` ids), catalogue."""
    if catalogue == "default":
        catalogue = load_catalogue()
    return [*content.issues, *check_references(content, existing), *check_catalogue(content, catalogue)]


def hash_files(path: str | os.PathLike) -> str:
    """SHA-256 over the relative names and bytes of the content files under ``path``."""
    path = Path(path)
    digest = hashlib.sha256(f"kb-format-{FORMAT_VERSION}".encode())
    base = path if path.is_dir() else path.parent
    for p in content_files(path):
        digest.update(str(p.relative_to(base)).encode() + b"\0")
        digest.update(hashlib.sha256(p.read_bytes()).digest())
    return digest.hexdigest()
