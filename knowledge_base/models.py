"""SQLAlchemy ORM schema of the knowledge base.

Bilingual values and lists are JSON columns; every content row carries ``updated_by`` and
``updated_at``.  ``to_dict()`` returns the canonical content form (the same shape as the YAML
content files and the JSON export), which is also the snapshot stored in revisions.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import attributes, declarative_base, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
Base = declarative_base(metadata=MetaData(naming_convention=NAMING))

ID = String(100)


def utcnow() -> datetime:
    """Timezone-aware current time (UTC)."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None:
            value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return value


def _bi(zh: Any, en: Any) -> dict:
    return {"zh": zh, "en": en}


class Audited:
    """Columns every content record carries."""

    updated_by = Column(String(100), nullable=False, default="system")
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)


class District(Audited, Base):
    __tablename__ = "districts"

    id = Column(ID, primary_key=True)
    name_zh = Column(String(200), nullable=False)
    name_en = Column(String(200), nullable=False)

    def to_dict(self) -> dict:
        return {"id": self.id, "name": _bi(self.name_zh, self.name_en)}


class Department(Audited, Base):
    __tablename__ = "departments"

    id = Column(ID, primary_key=True)
    name_zh = Column(String(300), nullable=False)
    name_en = Column(String(300), nullable=False)
    phone = Column(String(100), nullable=False)
    hotline = Column(String(100), nullable=True)
    website = Column(String(500), nullable=False)

    def to_dict(self) -> dict:
        data = {"id": self.id, "name": _bi(self.name_zh, self.name_en), "phone": self.phone}
        if self.hotline:
            data["hotline"] = self.hotline
        data["website"] = self.website
        return data


class Office(Audited, Base):
    """A service office; ``hours`` is a list of ``{days, open, close}``, ``lunch`` ``{start, end}``."""

    __tablename__ = "offices"

    id = Column(ID, primary_key=True)
    name_zh = Column(String(300), nullable=False)
    name_en = Column(String(300), nullable=False)
    address_zh = Column(String(500), nullable=False)
    address_en = Column(String(500), nullable=False)
    district_id = Column(ID, ForeignKey("districts.id"), nullable=False, index=True)
    phone = Column(String(100), nullable=False)
    hours = Column(JSON, nullable=False)
    lunch = Column(JSON, nullable=True)
    open_on_holidays = Column(Boolean, nullable=False, default=False)

    def to_dict(self) -> dict:
        data = {
            "id": self.id,
            "name": _bi(self.name_zh, self.name_en),
            "address": _bi(self.address_zh, self.address_en),
            "district": self.district_id,
            "phone": self.phone,
            "hours": [dict(r) for r in self.hours],
        }
        if self.lunch:
            data["lunch"] = dict(self.lunch)
        data["holidays"] = "open" if self.open_on_holidays else "closed"
        return data


class ServiceOffice(Base):
    """Ordered many-to-many link between services and offices."""

    __tablename__ = "service_offices"

    service_id = Column(ID, ForeignKey("services.id", ondelete="CASCADE"), primary_key=True)
    office_id = Column(ID, ForeignKey("offices.id"), primary_key=True, index=True)
    position = Column(Integer, nullable=False)


class Service(Audited, Base):
    __tablename__ = "services"

    id = Column(ID, primary_key=True)
    name_zh = Column(String(300), nullable=False)
    name_en = Column(String(300), nullable=False)
    category = Column(String(100), nullable=False, index=True)
    department_id = Column(ID, ForeignKey("departments.id"), nullable=False, index=True)
    aliases = Column(JSON, nullable=False)  # {zh: [...], en: [...]}
    summary = Column(JSON, nullable=False)  # {zh, en}
    eligibility = Column(JSON, nullable=False)  # {zh, en}
    materials = Column(JSON, nullable=False)  # {zh: [...], en: [...]}
    steps = Column(JSON, nullable=False)  # {zh: [...], en: [...]}
    fee = Column(JSON, nullable=False)  # {zh, en}
    processing_time = Column(JSON, nullable=False)  # {zh, en}
    online_url = Column(String(500), nullable=True)
    online_zh = Column(Text, nullable=False)
    online_en = Column(Text, nullable=False)
    source_url = Column(String(500), nullable=False)
    last_verified = Column(Date, nullable=False)

    office_links = relationship(
        ServiceOffice,
        order_by=ServiceOffice.position,
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
    )

    @property
    def office_ids(self) -> list[str]:
        return [link.office_id for link in self.office_links]

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": _bi(self.name_zh, self.name_en),
            "category": self.category,
            "department": self.department_id,
            "offices": self.office_ids,
            "aliases": {"zh": list(self.aliases["zh"]), "en": list(self.aliases["en"])},
            "summary": dict(self.summary),
            "eligibility": dict(self.eligibility),
            "materials": {"zh": list(self.materials["zh"]), "en": list(self.materials["en"])},
            "steps": {"zh": list(self.steps["zh"]), "en": list(self.steps["en"])},
            "fee": dict(self.fee),
            "processing_time": dict(self.processing_time),
            "online": {"url": self.online_url, "zh": self.online_zh, "en": self.online_en},
            "source_url": self.source_url,
            "last_verified": self.last_verified.isoformat(),
        }


class Faq(Audited, Base):
    __tablename__ = "faqs"

    id = Column(ID, primary_key=True)
    service_id = Column(ID, ForeignKey("services.id"), nullable=True, index=True)
    tags = Column(JSON, nullable=False)  # [...]
    questions = Column(JSON, nullable=False)  # {zh: [...], en: [...]}
    answer_zh = Column(Text, nullable=False)
    answer_en = Column(Text, nullable=False)

    def to_dict(self) -> dict:
        data: dict = {"id": self.id}
        if self.service_id:
            data["service"] = self.service_id
        data["tags"] = list(self.tags)
        data["questions"] = {"zh": list(self.questions["zh"]), "en": list(self.questions["en"])}
        data["answer"] = _bi(self.answer_zh, self.answer_en)
        return data


class CalendarDay(Audited, Base):
    """A public holiday or a make-up working day (``kind`` = holiday | makeup_workday)."""

    __tablename__ = "calendar_days"

    day = Column(Date, primary_key=True)
    kind = Column(String(20), nullable=False)
    name_zh = Column(String(200), nullable=False)
    name_en = Column(String(200), nullable=False)

    @property
    def id(self) -> str:
        return self.day.isoformat()

    def to_dict(self) -> dict:
        return {"date": self.day.isoformat(), "kind": self.kind, "name": _bi(self.name_zh, self.name_en)}


class Setting(Audited, Base):
    """A content-level setting such as the calendar ``timezone``."""

    __tablename__ = "settings"

    id = Column(String(100), primary_key=True)
    value = Column(JSON, nullable=True)

    def to_dict(self) -> dict:
        return {"id": self.id, "value": self.value}


class Revision(Base):
    """One change of one record; ``id`` is global and monotonic (the content version)."""

    __tablename__ = "revisions"
    __table_args__ = (
        UniqueConstraint("entity_type", "entity_id", "number"),
        Index(None, "entity_type", "entity_id"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    entity_type = Column(String(30), nullable=False)
    entity_id = Column(String(100), nullable=False)
    number = Column(Integer, nullable=False)
    action = Column(String(10), nullable=False)  # create | update | delete
    snapshot = Column(JSON, nullable=False)
    changed_by = Column(String(100), nullable=False)
    changed_at = Column(UTCDateTime, nullable=False, default=utcnow)
    comment = Column(String(300), nullable=True)
    # The hash chain (knowledge_base/chain.py): this revision's hash and the one before it.
    prev_hash = Column(String(64), nullable=True)
    hash = Column(String(64), nullable=True)


@event.listens_for(Revision, "before_update")
def _revisions_are_append_only(_mapper, _connection, target: Revision) -> None:
    """A revision is written once (its chain hash is set right after the insert) and never changed."""
    history = attributes.get_history(target, "hash")
    if any(value is not None for value in (*history.unchanged, *history.deleted)):
        raise ValueError("revisions are append-only: a chained revision cannot be changed")


class KbMeta(Base):
    """Internal bookkeeping (e.g. the hash of the last built content); not content."""

    __tablename__ = "kb_meta"

    key = Column(String(100), primary_key=True)
    value = Column(Text, nullable=True)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)


def parse_date(value: Any) -> date:
    """ISO string or date → date (raises ValueError)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
