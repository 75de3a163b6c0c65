"""Opening-hours logic: is an office open at a given moment, and when does it open next.

Pure functions over the ``offices.yml`` / ``calendar.yml`` data (see docs/kb_schema.md).
Times are wall-clock times in Asia/Shanghai.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "DAYS",
    "TZ",
    "Calendar",
    "OpenState",
    "OpeningHours",
    "open_state",
    "parse_days",
    "validate_hours",
]

TZ = ZoneInfo("Asia/Shanghai")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOOKAHEAD_DAYS = 14
_TIME_RE = re.compile(r"^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$")
_DAY_MINUTES = 24 * 60

Span = tuple[int, int]  # minutes after midnight, [start, end)


# ---------------------------------------------------------------- parsing


def parse_days(spec: Any) -> list[int]:
    """Weekday numbers (0 = Monday) for ``mon-fri``, ``sat`` or ``mon,wed-thu``; ValueError if bad."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError("empty day spec")
    days: list[int] = []
    for part in spec.lower().split(","):
        ends = [p.strip() for p in part.split("-")]
        if len(ends) > 2 or any(e not in DAYS for e in ends):
            raise ValueError(f"bad day name in {part.strip()!r} (use mon..sun, ranges like mon-fri)")
        first, last = DAYS.index(ends[0]), DAYS.index(ends[-1])
        if first > last:
            raise ValueError(f"day range {part.strip()!r} runs backwards")
        days.extend(range(first, last + 1))
    return days


def _minutes(value: Any) -> int:
    """Minutes after midnight for ``HH:MM`` (``24:00`` allowed); ValueError otherwise."""
    if isinstance(value, time):
        return value.hour * 60 + value.minute
    if not isinstance(value, str) or not _TIME_RE.match(value.strip()):
        raise ValueError(f"time {value!r} is not HH:MM")
    hh, mm = value.strip().split(":")
    return int(hh) * 60 + int(mm)


def _as_time(minutes: int) -> time:
    return time.max if minutes >= _DAY_MINUTES else time(minutes // 60, minutes % 60)


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class OpeningHours:
    """Weekly schedule: ``week[d]`` = sorted opening spans of weekday d (0 = Monday)."""

    week: tuple[tuple[Span, ...], ...]
    lunch: Span | None = None
    open_on_holidays: bool = False

    @classmethod
    def from_dict(cls, office: Mapping[str, Any]) -> OpeningHours:
        """From an office mapping (``hours``, optional ``lunch``, ``holidays``); ValueError if invalid."""
        problems = validate_hours(office)
        if problems:
            raise ValueError("; ".join(problems))
        week: list[list[Span]] = [[] for _ in DAYS]
        for entry in office["hours"]:
            span = (_minutes(entry["open"]), _minutes(entry["close"]))
            for d in parse_days(entry["days"]):
                week[d].append(span)
        lunch = office.get("lunch")
        return cls(
            week=tuple(tuple(sorted(spans)) for spans in week),
            lunch=(_minutes(lunch["start"]), _minutes(lunch["end"])) if lunch else None,
            open_on_holidays=office.get("holidays", "closed") == "open",
        )

    @classmethod
    def from_office(cls, office: Any) -> OpeningHours:
        """From a repository ``Office`` (attributes ``hours``, ``lunch``, ``open_on_holidays``)."""
        lunch = office.lunch
        return cls.from_dict({
            "hours": [{"days": h.days, "open": h.open, "close": h.close} for h in office.hours],
            "lunch": {"start": lunch.start, "end": lunch.end} if lunch else None,
            "holidays": "open" if office.open_on_holidays else "closed",
        })

    def spans_for_weekday(self, weekday: int) -> list[Span]:
        """Opening spans of a weekday with the lunch break cut out."""
        spans = []
        for start, end in self.week[weekday]:
            if self.lunch and start < self.lunch[0] and self.lunch[1] < end:
                spans += [(start, self.lunch[0]), (self.lunch[1], end)]
            elif self.lunch and start < self.lunch[1] and self.lunch[0] < end:
                # lunch overlaps one edge: trim
                if start >= self.lunch[0]:
                    spans.append((self.lunch[1], end))
                else:
                    spans.append((start, self.lunch[0]))
            else:
                spans.append((start, end))
        return [s for s in spans if s[0] < s[1]]

    def workday_weekday(self) -> int:
        """Weekday whose schedule a make-up working day follows (Monday, else the first open of Tue–Fri)."""
        for d in range(5):
            if self.week[d]:
                return d
        return 0


@dataclass(frozen=True)
class Calendar:
    """Public holidays and make-up working days (weekend dates worked), each date → name."""

    holidays: dict[date, str] = field(default_factory=dict)
    makeup_workdays: dict[date, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, lang: str = "zh") -> Calendar:
        """From ``calendar.yml`` content; bilingual names are reduced to ``lang``."""
        data = data or {}

        def table(key: str) -> dict[date, str]:
            out = {}
            for item in data.get(key) or []:
                day = item["date"]
                day = day if isinstance(day, date) else date.fromisoformat(str(day))
                out[day] = _name(item.get("name"), lang)
            return out

        return cls(table("public_holidays"), table("makeup_workdays"))

    @classmethod
    def from_repository(cls, calendar: Any, lang: str = "zh") -> Calendar:
        """From a repository ``Calendar`` (date → bilingual name mappings)."""
        return cls(
            {d: _name(n, lang) for d, n in calendar.holidays.items()},
            {d: _name(n, lang) for d, n in calendar.makeup_workdays.items()},
        )


def _name(value: Any, lang: str) -> str:
    """A holiday name in ``lang`` from a str, a {zh, en} mapping or a bilingual object."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return value.get(lang) or value.get("zh") or ""
    return getattr(value, lang, None) or getattr(value, "zh", "") or ""


@dataclass(frozen=True)
class OpenState:
    """Whether an office is open at a moment, why, and when it closes or next opens."""

    is_open: bool
    reason: str  # open | lunch | before_open | after_close | closed_day | holiday
    closes_at: time | None = None
    next_open: datetime | None = None
    holiday_name: str | None = None


# ---------------------------------------------------------------- evaluation


def _day_plan(hours: OpeningHours, calendar: Calendar, day: date) -> tuple[list[Span], str | None, str | None]:
    """(spans, closed reason if none, holiday name) for a date."""
    holiday = calendar.holidays.get(day)
    if holiday is not None and not hours.open_on_holidays:
        return [], "holiday", holiday
    weekday = day.weekday()
    if day in calendar.makeup_workdays and holiday is None:
        weekday = hours.workday_weekday()
    spans = hours.spans_for_weekday(weekday)
    return spans, (None if spans else "closed_day"), holiday


def _local(at: datetime, tz: tzinfo) -> datetime:
    """``at`` as naive local wall-clock time (aware datetimes are converted)."""
    return at.astimezone(tz).replace(tzinfo=None) if at.tzinfo else at


def _at(day: date, minutes: int, aware: bool, tz: tzinfo) -> datetime:
    dt = datetime.combine(day, time()) + timedelta(minutes=minutes)
    return dt.replace(tzinfo=tz) if aware else dt


def _next_open(hours: OpeningHours, calendar: Calendar, day: date, aware: bool, tz: tzinfo) -> datetime | None:
    for offset in range(1, LOOKAHEAD_DAYS + 1):
        nxt = day + timedelta(days=offset)
        spans, _, _ = _day_plan(hours, calendar, nxt)
        if spans:
            return _at(nxt, spans[0][0], aware, tz)
    return None


def open_state(hours: OpeningHours, calendar: Calendar, at: datetime, tz: tzinfo = TZ) -> OpenState:
    """Open/closed state of an office at ``at``.

    Aware ``at`` is converted to ``tz`` (Asia/Shanghai) and ``next_open`` is aware in ``tz``;
    naive ``at`` is taken as local time and ``next_open`` is naive too.
    """
    aware = at.tzinfo is not None
    local = _local(at, tz)
    day = local.date()
    now = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
    spans, closed_reason, holiday = _day_plan(hours, calendar, day)
    if closed_reason:
        return OpenState(False, closed_reason, None, _next_open(hours, calendar, day, aware, tz), holiday)
    for start, end in spans:
        if start <= now < end:
            return OpenState(True, "open", _as_time(end), None, holiday)
    later = [s for s, _ in spans if s > now]
    if later:
        if now < spans[0][0]:
            reason = "before_open"
        else:
            reason = "lunch"  # a midday break between two opening spans
        return OpenState(False, reason, None, _at(day, later[0], aware, tz), holiday)
    return OpenState(False, "after_close", None, _next_open(hours, calendar, day, aware, tz), holiday)


# ---------------------------------------------------------------- validation


def validate_hours(office: Mapping[str, Any]) -> list[str]:
    """Problems with an office's ``hours``/``lunch``/``holidays`` (empty list if fine)."""
    problems: list[str] = []
    hours = office.get("hours")
    if not isinstance(hours, list) or not hours:
        return ["hours: missing or empty list of {days, open, close}"]
    per_day: dict[int, list[tuple[int, int, int]]] = {}
    for i, entry in enumerate(hours):
        problems += _check_entry(i, entry, per_day)
    problems += _check_overlaps(per_day)
    problems += _check_lunch(office.get("lunch"), per_day)
    if office.get("holidays", "closed") not in ("open", "closed"):
        problems.append(f"holidays: must be 'open' or 'closed', not {office.get('holidays')!r}")
    return problems


def _check_entry(i: int, entry: Any, per_day: dict) -> list[str]:
    where = f"hours[{i}]"
    if not isinstance(entry, Mapping):
        return [f"{where}: must be a mapping {{days, open, close}}"]
    problems = []
    try:
        days = parse_days(entry.get("days"))
    except ValueError as exc:
        problems.append(f"{where}.days: {exc}")
        days = []
    try:
        start, end = _minutes(entry.get("open")), _minutes(entry.get("close"))
    except ValueError as exc:
        return problems + [f"{where}: {exc}"]
    if start >= end:
        return problems + [f"{where}: open {entry.get('open')} is not before close {entry.get('close')}"]
    for d in days:
        per_day.setdefault(d, []).append((start, end, i))
    return problems


def _check_overlaps(per_day: dict) -> list[str]:
    problems = []
    for d, spans in sorted(per_day.items()):
        spans = sorted(spans)
        for (_, e1, i1), (s2, _, i2) in pairwise(spans):
            if s2 < e1:
                problems.append(f"hours[{max(i1, i2)}]: overlaps hours[{min(i1, i2)}] on {DAYS[d]}")
    return problems


def _check_lunch(lunch: Any, per_day: dict) -> list[str]:
    if lunch is None:
        return []
    if not isinstance(lunch, Mapping):
        return ["lunch: must be a mapping {start, end}"]
    try:
        start, end = _minutes(lunch.get("start")), _minutes(lunch.get("end"))
    except ValueError as exc:
        return [f"lunch: {exc}"]
    if start >= end:
        return [f"lunch: start {lunch.get('start')} is not before end {lunch.get('end')}"]
    spans = [(s, e) for day_spans in per_day.values() for s, e, _ in day_spans]
    if spans and not any(s <= start and end <= e for s, e in spans):
        return ["lunch: the break lies outside the opening hours"]
    return []
