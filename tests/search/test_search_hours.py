"""knowledge_base.hours: open state at frozen moments, next opening, validation."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from knowledge_base.hours import TZ, Calendar, OpeningHours, open_state, validate_hours

OFFICE = {
    "id": "city_service_center",
    "hours": [
        {"days": "mon-fri", "open": "09:00", "close": "17:00"},
        {"days": "sat", "open": "09:00", "close": "12:00"},
    ],
    "lunch": {"start": "12:00", "end": "13:30"},
    "holidays": "closed",
}
# 2026-10-01 (Thu) … 10-07 public holidays; Sat 10-10 is a make-up working day.
CALENDAR = Calendar(
    holidays={date(2026, 10, 1) + timedelta(days=i): "National Day" for i in range(7)},
    makeup_workdays={date(2026, 10, 10): "National Day make-up working day"},
)


@pytest.fixture
def hours():
    return OpeningHours.from_dict(OFFICE)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_weekday_open(hours):
    state = open_state(hours, CALENDAR, at("2026-10-12 10:00"))  # Monday
    assert state.is_open and state.reason == "open"
    assert state.closes_at == time(12, 0)  # closes for lunch
    assert state.next_open is None and state.holiday_name is None


def test_afternoon_closes_at_end_of_day(hours):
    state = open_state(hours, CALENDAR, at("2026-10-12 16:59"))
    assert state.is_open and state.closes_at == time(17, 0)


def test_lunch_break(hours):
    state = open_state(hours, CALENDAR, at("2026-10-12 12:30"))
    assert not state.is_open and state.reason == "lunch"
    assert state.next_open == at("2026-10-12 13:30")


def test_before_open(hours):
    state = open_state(hours, CALENDAR, at("2026-10-13 08:15"))
    assert (state.is_open, state.reason, state.next_open) == (False, "before_open", at("2026-10-13 09:00"))


def test_after_close_next_day(hours):
    state = open_state(hours, CALENDAR, at("2026-10-13 17:00"))
    assert (state.reason, state.next_open) == ("after_close", at("2026-10-14 09:00"))


def test_saturday_morning_and_sunday(hours):
    assert open_state(hours, CALENDAR, at("2026-10-17 11:00")).closes_at == time(12, 0)
    saturday_afternoon = open_state(hours, CALENDAR, at("2026-10-17 15:00"))
    assert saturday_afternoon.reason == "after_close"
    sunday = open_state(hours, CALENDAR, at("2026-10-18 10:00"))
    assert (sunday.is_open, sunday.reason, sunday.next_open) == (False, "closed_day", at("2026-10-19 09:00"))


def test_public_holiday(hours):
    state = open_state(hours, CALENDAR, at("2026-10-02 10:00"))
    assert (state.is_open, state.reason, state.holiday_name) == (False, "holiday", "National Day")
    assert state.next_open == at("2026-10-08 09:00")


def test_makeup_working_day_uses_weekday_schedule(hours):
    state = open_state(hours, CALENDAR, at("2026-10-10 15:00"))  # a Saturday, worked as Monday
    assert state.is_open and state.closes_at == time(17, 0)
    lunch = open_state(hours, CALENDAR, at("2026-10-10 12:10"))
    assert lunch.reason == "lunch"


def test_friday_evening_next_open_is_makeup_saturday(hours):
    state = open_state(hours, CALENDAR, at("2026-10-09 18:00"))
    assert state.next_open == at("2026-10-10 09:00")


def test_office_open_on_holidays():
    hours = OpeningHours.from_dict(dict(OFFICE, holidays="open"))
    state = open_state(hours, CALENDAR, at("2026-10-01 10:00"))  # a Thursday holiday
    assert state.is_open and state.holiday_name == "National Day"
    sunday_holiday = open_state(hours, CALENDAR, at("2026-10-04 10:00"))
    assert sunday_holiday.reason == "closed_day"


def test_aware_datetime_is_converted_to_shanghai(hours):
    state = open_state(hours, CALENDAR, datetime(2026, 10, 12, 2, 0, tzinfo=timezone.utc))  # 10:00 local
    assert state.is_open
    closed = open_state(hours, CALENDAR, datetime(2026, 10, 12, 10, 0, tzinfo=timezone.utc))  # 18:00 local
    assert closed.reason == "after_close"
    assert closed.next_open == datetime(2026, 10, 13, 9, 0, tzinfo=TZ)
    assert closed.next_open.utcoffset() == timedelta(hours=8)


def test_no_opening_within_two_weeks():
    hours = OpeningHours.from_dict({"hours": [{"days": "sun", "open": "09:00", "close": "12:00"}]})
    calendar = Calendar(holidays={date(2026, 10, 18) + timedelta(days=7 * i): "closed" for i in range(3)})
    state = open_state(hours, calendar, at("2026-10-17 10:00"))
    assert state.reason == "closed_day" and state.next_open is None


def test_calendar_from_dict_and_repository_shape():
    data = {
        "public_holidays": [{"date": date(2026, 1, 1), "name": {"zh": "元旦", "en": "New Year's Day"}}],
        "makeup_workdays": [{"date": "2026-02-14", "name": {"zh": "春节调休上班", "en": "Make-up day"}}],
    }
    cal = Calendar.from_dict(data, lang="en")
    assert cal.holidays == {date(2026, 1, 1): "New Year's Day"}
    assert cal.makeup_workdays == {date(2026, 2, 14): "Make-up day"}
    assert Calendar.from_dict(data).holidays[date(2026, 1, 1)] == "元旦"


def test_valid_hours_have_no_problems():
    assert validate_hours(OFFICE) == []
    assert validate_hours({"hours": [{"days": "mon,wed-thu", "open": "08:30", "close": "24:00"}]}) == []


@pytest.mark.parametrize(
    "office, fragment",
    [
        ({"hours": []}, "missing"),
        ({"hours": [{"days": "monday", "open": "09:00", "close": "17:00"}]}, "bad day"),
        ({"hours": [{"days": "fri-mon", "open": "09:00", "close": "17:00"}]}, "backwards"),
        ({"hours": [{"days": "mon", "open": "9:00", "close": "17:00"}]}, "HH:MM"),
        ({"hours": [{"days": "mon", "open": "09:00", "close": "25:00"}]}, "HH:MM"),
        ({"hours": [{"days": "mon", "open": "17:00", "close": "09:00"}]}, "not before"),
        ({"hours": [{"days": "mon-fri", "open": "09:00", "close": "12:00"},
                    {"days": "fri", "open": "11:00", "close": "17:00"}]}, "overlaps"),
        ({"hours": [{"days": "mon", "open": "09:00", "close": "17:00"}], "lunch": {"start": "18:00", "end": "19:00"}},
         "outside"),
        ({"hours": [{"days": "mon", "open": "09:00", "close": "17:00"}], "lunch": {"start": "13:00", "end": "12:00"}},
         "not before"),
        ({"hours": [{"days": "mon", "open": "09:00", "close": "17:00"}], "holidays": "sometimes"}, "holidays"),
    ],
)
def test_validate_hours_problems(office, fragment):
    problems = validate_hours(office)
    assert problems and any(fragment in p for p in problems), problems
    with pytest.raises(ValueError):
        OpeningHours.from_dict(office)


def test_real_offices_validate():
    """Every office in the content (if present) has valid hours."""
    from pathlib import Path

    import yaml

    path = Path(__file__).resolve().parents[2] / "knowledge_base" / "content" / "offices.yml"
    if not path.exists():
        pytest.skip("no offices.yml yet")
    offices = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("offices") or []
    for office in offices:
        assert validate_hours(office) == [], office.get("id")
