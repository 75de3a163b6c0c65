"""Where to go: the offices for a service, nearest district first, with "open now" status."""
from __future__ import annotations

from typing import Dict, List, Optional

from rasa_sdk.executor import CollectingDispatcher

from actions import formatting
from actions.common import now

MAX_OFFICES = 3
REASON_RESPONSES = {"lunch": "reply_office_lunch", "holiday": "reply_office_holiday"}


def office_hours_dict(office) -> Dict:
    """The repository's office record as the opening-hours calculator reads it."""
    return {
        "hours": [{"days": h.days, "open": h.open, "close": h.close} for h in office.hours],
        "lunch": {"start": office.lunch.start, "end": office.lunch.end} if office.lunch else None,
        "holidays": "open" if office.open_on_holidays else "closed",
    }


def open_state(office, calendar, lang: str, at=None):
    """Whether ``office`` is open at ``at`` (default: now), public holidays included."""
    from knowledge_base import hours

    cal = hours.Calendar(
        holidays={d: n.get(lang) for d, n in calendar.holidays.items()},
        makeup_workdays={d: n.get(lang) for d, n in calendar.makeup_workdays.items()},
    )
    return hours.open_state(hours.OpeningHours.from_dict(office_hours_dict(office)), cal, at or now())


def office_message(dispatcher: CollectingDispatcher, office, calendar, lang: str) -> None:
    """One message for one office: address, phone, hours and whether it is open now."""
    state = open_state(office, calendar, lang)
    values = dict(office=office.name.get(lang), address=office.address.get(lang), phone=office.phone,
                  hours=formatting.opening_hours(office, lang))
    if state.is_open:
        dispatcher.utter_message(response="reply_office_open", closes=state.closes_at.strftime("%H:%M"),
                                 **values)
        return
    next_open = formatting.moment(state.next_open, lang) if state.next_open else "-"
    response = REASON_RESPONSES.get(state.reason, "reply_office_closed")
    if state.reason == "lunch" and state.next_open:
        next_open = state.next_open.strftime("%H:%M")
    dispatcher.utter_message(response=response, next_open=next_open, holiday=state.holiday_name or "",
                             **values)


def office_messages(dispatcher: CollectingDispatcher, session, service, aspect: str, lang: str,
                    district: Optional[str]) -> bool:
    """Answers a where/hours question: up to three of the service's offices, in the service's
    order with those in the citizen's district first; when the district is not known and the
    offices are in several districts, district buttons follow to narrow the answer. Always True
    (answered)."""
    from knowledge_base import repository

    offices = repository.offices_for_service(session, service.id)
    name = service.name.get(lang)
    chosen = nearest_first(offices, district)
    if district and not any(o.district.id == district for o in offices):
        district_row = repository.get_district(session, district)
        dispatcher.utter_message(response="reply_service_where_district_none", name=name,
                                 district=district_row.name.get(lang) if district_row else district)
    dispatcher.utter_message(response=f"reply_service_{aspect}", name=name)
    calendar = repository.calendar(session)
    for office in chosen[:MAX_OFFICES]:
        office_message(dispatcher, office, calendar, lang)
    districts = {o.district.id for o in offices}
    if not district and len(districts) > 1:
        buttons = [{"title": d.name.get(lang), "payload": f'/inform_district{{"district":"{d.id}"}}'}
                   for d in repository.list_districts(session) if d.id in districts]
        dispatcher.utter_message(response="reply_narrow_by_district", name=name, buttons=buttons)
    return True


def nearest_first(offices: List, district: Optional[str]) -> List:
    """The offices in ``district`` first, then the others, each group in the given order."""
    if not district:
        return list(offices)
    return ([o for o in offices if o.district.id == district]
            + [o for o in offices if o.district.id != district])
