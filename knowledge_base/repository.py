"""Read and write API of the knowledge base.

Reads return plain frozen dataclasses (never ORM objects).  Writes take canonical content dicts
(the YAML record shape), validate them with the loader, and record a revision for every change;
writing identical data is a no-op.  Callers own the transaction (see ``db.session_scope``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import revisions
from .loader import (
    Content,
    Issue,
    ValidationFailed,
    check_references,
    normalize_record,
    parse_days,
    validate,
)
from .models import CalendarDay, KbMeta, ServiceOffice, Setting, parse_date, utcnow
from .models import Department as DepartmentRow
from .models import District as DistrictRow
from .models import Faq as FaqRow
from .models import Office as OfficeRow
from .models import Service as ServiceRow

content_version = revisions.content_version

# --------------------------------------------------------------------------- read-side dataclasses


@dataclass(frozen=True)
class Bilingual:
    zh: str
    en: str

    def get(self, lang: str) -> str:
        """The text in ``lang`` ('zh…' → Chinese, anything else → English)."""
        return self.zh if str(lang).lower().startswith("zh") else self.en


@dataclass(frozen=True)
class BilingualList:
    zh: tuple[str, ...]
    en: tuple[str, ...]

    def get(self, lang: str) -> tuple[str, ...]:
        return self.zh if str(lang).lower().startswith("zh") else self.en


@dataclass(frozen=True)
class District:
    id: str
    name: Bilingual


@dataclass(frozen=True)
class Department:
    id: str
    name: Bilingual
    phone: str
    hotline: str | None
    website: str
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class OpeningHours:
    """One weekly range: ``days`` as written (e.g. 'mon-fri'), ``weekdays`` 0 = Monday."""

    days: str
    weekdays: tuple[int, ...]
    open: str
    close: str


@dataclass(frozen=True)
class LunchBreak:
    start: str
    end: str


@dataclass(frozen=True)
class Office:
    id: str
    name: Bilingual
    address: Bilingual
    district: District
    phone: str
    hours: tuple[OpeningHours, ...]
    lunch: LunchBreak | None
    open_on_holidays: bool
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class OnlineInfo:
    url: str | None
    text: Bilingual


@dataclass(frozen=True)
class Service:
    id: str
    name: Bilingual
    category: str
    department_id: str
    office_ids: tuple[str, ...]
    aliases: BilingualList
    summary: Bilingual
    eligibility: Bilingual
    materials: BilingualList
    steps: BilingualList
    fee: Bilingual
    processing_time: Bilingual
    online: OnlineInfo
    source_url: str
    last_verified: date
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class Faq:
    id: str
    service_id: str | None
    tags: tuple[str, ...]
    questions: BilingualList
    answer: Bilingual
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class Calendar:
    """Public holidays and make-up workdays, each ``date → Bilingual`` name."""

    timezone: str | None
    holidays: dict[date, Bilingual] = field(default_factory=dict)
    makeup_workdays: dict[date, Bilingual] = field(default_factory=dict)

    def is_holiday(self, day: date) -> bool:
        return day in self.holidays

    def is_makeup_workday(self, day: date) -> bool:
        return day in self.makeup_workdays


def _bi(d: dict) -> Bilingual:
    return Bilingual(d["zh"], d["en"])


def _bil(d: dict) -> BilingualList:
    return BilingualList(tuple(d["zh"]), tuple(d["en"]))


def _district(row: DistrictRow) -> District:
    return District(row.id, Bilingual(row.name_zh, row.name_en))


def _department(row: DepartmentRow) -> Department:
    return Department(
        row.id, Bilingual(row.name_zh, row.name_en), row.phone, row.hotline, row.website,
        row.updated_by, row.updated_at,
    )


def _office(session: Session, row: OfficeRow) -> Office:
    hours = tuple(
        OpeningHours(h["days"], tuple(parse_days(h["days"])), h["open"], h["close"]) for h in row.hours
    )
    lunch = LunchBreak(row.lunch["start"], row.lunch["end"]) if row.lunch else None
    district = session.get(DistrictRow, row.district_id)
    return Office(
        row.id, Bilingual(row.name_zh, row.name_en), Bilingual(row.address_zh, row.address_en),
        _district(district), row.phone, hours, lunch, bool(row.open_on_holidays),
        row.updated_by, row.updated_at,
    )


def _service(row: ServiceRow) -> Service:
    return Service(
        id=row.id,
        name=Bilingual(row.name_zh, row.name_en),
        category=row.category,
        department_id=row.department_id,
        office_ids=tuple(row.office_ids),
        aliases=_bil(row.aliases),
        summary=_bi(row.summary),
        eligibility=_bi(row.eligibility),
        materials=_bil(row.materials),
        steps=_bil(row.steps),
        fee=_bi(row.fee),
        processing_time=_bi(row.processing_time),
        online=OnlineInfo(row.online_url, Bilingual(row.online_zh, row.online_en)),
        source_url=row.source_url,
        last_verified=row.last_verified,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def _faq(row: FaqRow) -> Faq:
    return Faq(
        row.id, row.service_id, tuple(row.tags), _bil(row.questions), Bilingual(row.answer_zh, row.answer_en),
        row.updated_by, row.updated_at,
    )


# --------------------------------------------------------------------------- read API


def get_service(session: Session, service_id: str) -> Service | None:
    row = session.get(ServiceRow, service_id)
    return _service(row) if row else None


def list_services(session: Session, category: str | None = None) -> list[Service]:
    query = select(ServiceRow).order_by(ServiceRow.id)
    if category:
        query = query.where(ServiceRow.category == category)
    return [_service(r) for r in session.execute(query).scalars()]


def get_department(session: Session, department_id: str) -> Department | None:
    row = session.get(DepartmentRow, department_id)
    return _department(row) if row else None


def list_departments(session: Session) -> list[Department]:
    return [_department(r) for r in session.execute(select(DepartmentRow).order_by(DepartmentRow.id)).scalars()]


def get_district(session: Session, district_id: str) -> District | None:
    row = session.get(DistrictRow, district_id)
    return _district(row) if row else None


def list_districts(session: Session) -> list[District]:
    return [_district(r) for r in session.execute(select(DistrictRow).order_by(DistrictRow.id)).scalars()]


def get_office(session: Session, office_id: str) -> Office | None:
    row = session.get(OfficeRow, office_id)
    return _office(session, row) if row else None


def list_offices(session: Session, district: str | None = None) -> list[Office]:
    query = select(OfficeRow).order_by(OfficeRow.id)
    if district:
        query = query.where(OfficeRow.district_id == district)
    return [_office(session, r) for r in session.execute(query).scalars()]


def offices_for_service(session: Session, service_id: str, district: str | None = None) -> list[Office]:
    """The offices handling a service, in the service's order, optionally only in one district."""
    row = session.get(ServiceRow, service_id)
    if row is None:
        return []
    offices = [_office(session, session.get(OfficeRow, oid)) for oid in row.office_ids]
    return [o for o in offices if district is None or o.district.id == district]


def get_faq(session: Session, faq_id: str) -> Faq | None:
    row = session.get(FaqRow, faq_id)
    return _faq(row) if row else None


def list_faqs(session: Session, service_id: str | None = None) -> list[Faq]:
    query = select(FaqRow).order_by(FaqRow.id)
    if service_id:
        query = query.where(FaqRow.service_id == service_id)
    return [_faq(r) for r in session.execute(query).scalars()]


def calendar(session: Session) -> Calendar:
    """Holidays and make-up workdays with their names, plus the content time zone."""
    cal = Calendar(get_setting(session, "timezone"))
    for row in session.execute(select(CalendarDay).order_by(CalendarDay.day)).scalars():
        target = cal.holidays if row.kind == "holiday" else cal.makeup_workdays
        target[row.day] = Bilingual(row.name_zh, row.name_en)
    return cal


def get_setting(session: Session, key: str) -> Any:
    row = session.get(Setting, key)
    return row.value if row else None


# --------------------------------------------------------------------------- entity registry


def _set_name(obj: Any, d: dict, attr: str = "name", prefix: str = "name") -> None:
    setattr(obj, f"{prefix}_zh", d[attr]["zh"])
    setattr(obj, f"{prefix}_en", d[attr]["en"])


def _apply_department(session: Session, obj: DepartmentRow, d: dict) -> None:
    _set_name(obj, d)
    obj.phone, obj.hotline, obj.website = d["phone"], d.get("hotline"), d["website"]


def _apply_office(session: Session, obj: OfficeRow, d: dict) -> None:
    _set_name(obj, d)
    _set_name(obj, d, "address", "address")
    obj.district_id, obj.phone = d["district"], d["phone"]
    obj.hours, obj.lunch = [dict(h) for h in d["hours"]], d.get("lunch")
    obj.open_on_holidays = d["holidays"] == "open"


def _apply_service(session: Session, obj: ServiceRow, d: dict) -> None:
    _set_name(obj, d)
    obj.category, obj.department_id = d["category"], d["department"]
    for key in ("aliases", "summary", "eligibility", "materials", "steps", "fee", "processing_time"):
        setattr(obj, key, d[key])
    obj.online_url, obj.online_zh, obj.online_en = d["online"]["url"], d["online"]["zh"], d["online"]["en"]
    obj.source_url, obj.last_verified = d["source_url"], parse_date(d["last_verified"])
    if obj.office_ids != list(d["offices"]):
        if obj.office_links:
            obj.office_links.clear()
            session.flush()
        obj.office_links.extend(ServiceOffice(office_id=o, position=i) for i, o in enumerate(d["offices"]))


def _apply_faq(session: Session, obj: FaqRow, d: dict) -> None:
    obj.service_id, obj.tags, obj.questions = d.get("service"), list(d["tags"]), d["questions"]
    _set_name(obj, d, "answer", "answer")


def _apply_calendar_day(session: Session, obj: CalendarDay, d: dict) -> None:
    obj.kind = d["kind"]
    _set_name(obj, d)


@dataclass(frozen=True)
class Entity:
    """How one record type is stored: ORM class, key from canonical data, field setter, referrers."""

    model: type
    key: Callable[[str], Any]
    apply: Callable[[Session, Any, dict], None]
    referrers: Callable[[Session, str], list[str]] = lambda s, i: []


def _refs(query: Callable[[str], Any], label: str) -> Callable[[Session, str], list[str]]:
    return lambda session, rid: [f"{label} {r}" for r in session.execute(query(rid)).scalars()]


ENTITIES: dict[str, Entity] = {
    "setting": Entity(Setting, str, lambda s, o, d: setattr(o, "value", d["value"])),
    "district": Entity(
        DistrictRow, str, lambda s, o, d: _set_name(o, d),
        _refs(lambda i: select(OfficeRow.id).where(OfficeRow.district_id == i), "office"),
    ),
    "department": Entity(
        DepartmentRow, str, _apply_department,
        _refs(lambda i: select(ServiceRow.id).where(ServiceRow.department_id == i), "service"),
    ),
    "office": Entity(
        OfficeRow, str, _apply_office,
        _refs(lambda i: select(ServiceOffice.service_id).where(ServiceOffice.office_id == i), "service"),
    ),
    "service": Entity(
        ServiceRow, str, _apply_service,
        _refs(lambda i: select(FaqRow.id).where(FaqRow.service_id == i), "faq"),
    ),
    "faq": Entity(FaqRow, str, _apply_faq),
    "calendar_day": Entity(CalendarDay, lambda i: parse_date(i), _apply_calendar_day),
}
IMPORT_ORDER = ("setting", "district", "department", "office", "service", "faq", "calendar_day")


def pk_attr(model: type) -> str:
    """Name of the (single-column) primary-key attribute of an ORM class."""
    return sa_inspect(model).primary_key[0].key


def record_id(entity: str, data: dict) -> str:
    """The id of a canonical record (calendar days are keyed by their ISO date)."""
    return str(data["date"] if entity == "calendar_day" else data["id"])


def existing_ids(session: Session) -> dict[str, set[str]]:
    """Ids of every stored record, by entity type."""
    out: dict[str, set[str]] = {}
    for name, ent in ENTITIES.items():
        values = session.execute(select(getattr(ent.model, pk_attr(ent.model)))).scalars()
        out[name] = {v.isoformat() if isinstance(v, date) else str(v) for v in values}
    return out


def _validated(session: Session, entity: str, data: dict) -> dict:
    record, issues = normalize_record(entity, data)
    errors = [i for i in issues if i.is_error]
    if not errors and record is not None:
        probe = Content()
        probe.add(entity, record_id(entity, record), record, "<input>", record_id(entity, record))
        errors = check_references(probe, existing_ids(session))
    if errors or record is None:
        raise ValidationFailed(errors or [Issue("<input>", "?", "-", "invalid record")])
    return record


# --------------------------------------------------------------------------- write API


def upsert(
    session: Session, entity: str, data: dict, user: str, *, comment: str | None = None, check: bool = True
) -> str | None:
    """Create or update one record; returns 'create', 'update' or None when nothing changed.

    ``check=False`` skips validation (for records already validated, e.g. by an import).
    """
    ent = ENTITIES[entity]
    record = _validated(session, entity, data) if check else data
    rid = record_id(entity, record)
    obj = session.get(ent.model, ent.key(rid))
    if obj is not None and obj.to_dict() == record:
        return None
    action = "update" if obj is not None else "create"
    if obj is None:
        obj = ent.model(**{pk_attr(ent.model): ent.key(rid)})
        session.add(obj)
    ent.apply(session, obj, record)
    obj.updated_by, obj.updated_at = user, utcnow()
    session.flush()
    revisions.record(session, entity, rid, action, obj.to_dict(), user, comment)
    return action


def delete(session: Session, entity: str, record_id_: str, user: str, *, comment: str | None = None) -> bool:
    """Delete one record (False if absent); refuses while other records still refer to it."""
    ent = ENTITIES[entity]
    obj = session.get(ent.model, ent.key(record_id_))
    if obj is None:
        return False
    blockers = ent.referrers(session, str(record_id_))
    if blockers:
        msg = f"cannot delete: still referenced by {', '.join(sorted(blockers))}"
        raise ValidationFailed([Issue("<database>", str(record_id_), "id", msg)])
    snapshot = obj.to_dict()
    session.delete(obj)
    session.flush()
    revisions.record(session, entity, str(record_id_), "delete", snapshot, user, comment)
    return True


def revert(session: Session, entity: str, record_id_: str, number: int, user: str) -> str | None:
    """Undo revision ``number``: restore the record as it was before it (a create → delete).

    The restored state is recorded as a new revision; returns its action (None if unchanged).
    """
    if revisions.get_revision(session, entity, str(record_id_), number) is None:
        raise LookupError(f"{entity} {record_id_} has no revision {number}")
    target = revisions.state_before(session, entity, str(record_id_), number)
    comment = f"revert of revision {number}"
    if target is None:
        return "delete" if delete(session, entity, record_id_, user, comment=comment) else None
    return upsert(session, entity, target, user, comment=comment)


def upsert_service(session: Session, data: dict, user: str) -> str | None:
    return upsert(session, "service", data, user)


def upsert_faq(session: Session, data: dict, user: str) -> str | None:
    return upsert(session, "faq", data, user)


def upsert_office(session: Session, data: dict, user: str) -> str | None:
    return upsert(session, "office", data, user)


def upsert_department(session: Session, data: dict, user: str) -> str | None:
    return upsert(session, "department", data, user)


def delete_service(session: Session, service_id: str, user: str) -> bool:
    return delete(session, "service", service_id, user)


def delete_faq(session: Session, faq_id: str, user: str) -> bool:
    return delete(session, "faq", faq_id, user)


def delete_office(session: Session, office_id: str, user: str) -> bool:
    return delete(session, "office", office_id, user)


def delete_department(session: Session, department_id: str, user: str) -> bool:
    return delete(session, "department", department_id, user)


# --------------------------------------------------------------------------- whole-KB import / export


def export_records(session: Session, entity: str) -> list[dict]:
    """Every record of one type in content form, ordered by id."""
    ent = ENTITIES[entity]
    key = getattr(ent.model, pk_attr(ent.model))
    return [r.to_dict() for r in session.execute(select(ent.model).order_by(key)).scalars()]


def export_record(session: Session, entity: str, record_id_: str) -> dict | None:
    """One record in content form, or None (also for an id that is not valid for the type)."""
    ent = ENTITIES[entity]
    try:
        key = ent.key(record_id_)
    except ValueError:
        return None
    obj = session.get(ent.model, key)
    return obj.to_dict() if obj is not None else None


def export_content(session: Session) -> dict:
    """The whole knowledge base in content form (deterministic order)."""

    def rows(model: type, order: Any) -> list[dict]:
        return [r.to_dict() for r in session.execute(select(model).order_by(order)).scalars()]

    cal: dict = {}
    tz = get_setting(session, "timezone")
    if tz is not None:
        cal["timezone"] = tz
    days = rows(CalendarDay, CalendarDay.day)
    cal["public_holidays"] = [{"date": d["date"], "name": d["name"]} for d in days if d["kind"] == "holiday"]
    cal["makeup_workdays"] = [{"date": d["date"], "name": d["name"]} for d in days if d["kind"] != "holiday"]
    return {
        "services": rows(ServiceRow, ServiceRow.id),
        "faqs": rows(FaqRow, FaqRow.id),
        "departments": rows(DepartmentRow, DepartmentRow.id),
        "offices": rows(OfficeRow, OfficeRow.id),
        "districts": rows(DistrictRow, DistrictRow.id),
        "calendar": cal,
    }


@dataclass
class ImportReport:
    """What an import found and did (``changes``: (action, entity, id))."""

    issues: list[Issue] = field(default_factory=list)
    changes: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(i.is_error for i in self.issues)

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c[0] == action)


def import_content(
    session: Session, content: Content, user: str, *, prune: bool = False, catalogue: Any = "default"
) -> ImportReport:
    """Validate ``content`` together with the stored records, then upsert it (nothing on errors).

    With ``prune`` the stored knowledge base is made to mirror ``content``: records absent from it
    are deleted, and references must resolve within ``content`` alone.
    """
    stored = existing_ids(session)
    report = ImportReport(validate(content, None if prune else stored, catalogue))
    if not report.ok:
        return report
    keep = [session.execute(select(ENTITIES[e].model)).scalars().all() for e in IMPORT_ORDER]  # noqa: F841
    for entity in IMPORT_ORDER:
        for rid, record in content.records[entity].items():
            action = upsert(session, entity, record, user, check=False)
            if action:
                report.changes.append((action, entity, rid))
    if prune:
        for entity in reversed(IMPORT_ORDER):
            for rid in sorted(stored[entity] - set(content.records[entity])):
                delete(session, entity, rid, user)
                report.changes.append(("delete", entity, rid))
    return report


# --------------------------------------------------------------------------- bookkeeping


def get_meta(session: Session, key: str) -> str | None:
    row = session.get(KbMeta, key)
    return row.value if row else None


def set_meta(session: Session, key: str, value: str | None) -> None:
    row = session.get(KbMeta, key) or KbMeta(key=key)
    row.value, row.updated_at = value, utcnow()
    session.add(row)
    session.flush()
