"""Renders knowledge-base data (lists, dates, opening hours) in the citizen's language."""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import yaml

LOCALE_FILE = Path(__file__).with_name("locale.yml")


@lru_cache(maxsize=1)
def _locale() -> dict:
    return yaml.safe_load(LOCALE_FILE.read_text(encoding="utf-8"))


def words(lang: str) -> dict:
    """Formatting words for ``lang`` (zh or en)."""
    return _locale()["zh" if lang == "zh" else "en"]


def numbered(items: Iterable[str], lang: str) -> str:
    """Numbered list, one item a line."""
    fmt = words(lang)["bullet"]
    return "\n".join(fmt.format(n=i, text=t) for i, t in enumerate(items, 1))


def long_date(day: date, lang: str) -> str:
    w = words(lang)
    month_name = w.get("months", [""] * 12)[day.month - 1]
    return w["date"].format(year=day.year, month=day.month, day=day.day, month_name=month_name)


def moment(at: datetime, lang: str) -> str:
    """A weekday and time, e.g. 'Tue 09:00' / '周二 09:00'."""
    w = words(lang)
    return w["moment"].format(weekday=w["weekdays"][at.weekday()], time=at.strftime("%H:%M"))


def _days(weekdays: Sequence[int], lang: str) -> str:
    w = words(lang)
    names = w["weekdays"]
    days = sorted(weekdays)
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return w["day_range"].format(first=names[days[0]], last=names[days[-1]])
    return w["day_join"].join(names[d] for d in days)


def opening_hours(office, lang: str) -> str:
    """An office's weekly hours, e.g. 'Mon–Fri 09:00–17:00 (lunch break 12:00–13:30)'."""
    w = words(lang)
    parts = [f"{_days(h.weekdays, lang)} {w['time_range'].format(open=h.open, close=h.close)}"
             for h in office.hours]
    text = w["hours_join"].join(parts)
    if office.lunch:
        text += w["lunch"].format(start=office.lunch.start, end=office.lunch.end)
    return text
