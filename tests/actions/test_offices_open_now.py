"""'Open now' for an office: weekday, lunch break, weekend, public holiday, make-up working day."""
from datetime import date, datetime

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.offices import office_message
from knowledge_base.repository import Bilingual, Calendar, District, LunchBreak, Office, OpeningHours

from .conftest import TZ

OFFICE = Office(
    id="test_hall", name=Bilingual("测试大厅", "Test Hall"), address=Bilingual("江城区测试路1号", "1 Test Road"),
    district=District("jiangcheng", Bilingual("江城区", "Jiangcheng District")), phone="0576-0000 0000",
    hours=(OpeningHours("mon-fri", (0, 1, 2, 3, 4), "09:00", "17:00"),),
    lunch=LunchBreak("12:00", "13:30"), open_on_holidays=False, updated_by="test", updated_at=datetime(2026, 1, 1),
)
CALENDAR = Calendar(
    timezone="Asia/Shanghai",
    holidays={date(2026, 10, 1): Bilingual("国庆节", "National Day")},
    makeup_workdays={date(2026, 10, 10): Bilingual("国庆节调休上班", "National Day make-up working day")},
)


@pytest.mark.parametrize("moment,response,extra", [
    ((2026, 11, 25, 10, 0), "reply_office_open", {"closes": "12:00"}),       # Wednesday morning (until lunch)
    ((2026, 11, 25, 12, 30), "reply_office_lunch", {"next_open": "13:30"}),   # lunch break
    ((2026, 11, 28, 10, 0), "reply_office_closed", {}),                       # Saturday
    ((2026, 11, 25, 8, 0), "reply_office_closed", {}),                        # before opening
    ((2026, 10, 1, 10, 0), "reply_office_holiday", {"holiday": "National Day"}),  # public holiday
    ((2026, 10, 10, 10, 0), "reply_office_open", {}),                         # make-up working day (Sat)
])
def test_open_state_message(freeze_time, moment, response, extra):
    freeze_time(*moment)
    dispatcher = CollectingDispatcher()
    office_message(dispatcher, OFFICE, CALENDAR, "en")
    msg = dispatcher.messages[0]
    assert msg["response"] == response
    for key, value in extra.items():
        assert msg[key] == value
    assert msg["office"] == "Test Hall" and msg["phone"] == "0576-0000 0000"


def test_next_opening_after_the_weekend_is_monday_morning(freeze_time):
    freeze_time(2026, 11, 28, 10, 0)
    dispatcher = CollectingDispatcher()
    office_message(dispatcher, OFFICE, CALENDAR, "zh")
    assert dispatcher.messages[0]["next_open"] == "周一 09:00"


def test_the_clock_is_in_shanghai_time(freeze_time):
    moment = freeze_time(2026, 11, 25, 10, 0)
    assert moment.tzinfo == TZ
