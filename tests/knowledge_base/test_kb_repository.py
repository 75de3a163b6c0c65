"""Read API and write helpers of ``repository``."""
from __future__ import annotations

import copy
from dataclasses import FrozenInstanceError
from datetime import date

import pytest

from knowledge_base import db, loader, revisions
from knowledge_base import repository as repo


@pytest.fixture
def loaded(engine, content_dir):
    with db.session_scope(engine) as session:
        report = repo.import_content(session, loader.load_path(content_dir), "tester")
        assert report.ok, [str(i) for i in report.issues]
    return engine


def test_get_service(loaded):
    with db.session_scope(loaded) as s:
        svc = repo.get_service(s, "passport_application")
        assert repo.get_service(s, "nope") is None
    assert svc.name.get("zh") == "普通护照申领" and svc.name.get("en") == "Ordinary passport application"
    assert svc.department_id == "psb_exit_entry"
    assert svc.office_ids == ("exit_entry_hubin", "city_service_center")
    assert svc.aliases.zh == ("办护照", "护照") and svc.steps.get("en")[1] == "Have your photo taken"
    assert svc.online.url == "https://s.nia.gov.cn/" and svc.online.text.en == "Book online."
    assert svc.last_verified == date(2026, 10, 15)
    assert svc.updated_by == "tester" and svc.updated_at is not None
    with pytest.raises(FrozenInstanceError):
        svc.category = "x"  # type: ignore[misc]


def test_list_services_department_faqs(loaded):
    with db.session_scope(loaded) as s:
        assert [x.id for x in repo.list_services(s)] == ["id_card_application", "passport_application"]
        assert [x.id for x in repo.list_services(s, category="household")] == ["id_card_application"]
        dept = repo.get_department(s, "psb_exit_entry")
        assert dept.hotline == "12367" and repo.get_department(s, "psb_household").hotline is None
        faqs = repo.list_faqs(s)
        assert [f.id for f in faqs] == ["faq_opening_hours", "faq_passport_photo"]
        assert [f.id for f in repo.list_faqs(s, service_id="passport_application")] == ["faq_passport_photo"]
        faq = repo.get_faq(s, "faq_passport_photo")
        assert faq.service_id == "passport_application" and faq.tags == ("photo",)
        assert faq.questions.get("zh")[0] == "办护照要带照片吗？" and faq.answer.get("en").startswith("No")
        assert repo.get_faq(s, "faq_opening_hours").service_id is None


def test_offices(loaded):
    with db.session_scope(loaded) as s:
        offices = repo.offices_for_service(s, "passport_application")
        assert [o.id for o in offices] == ["exit_entry_hubin", "city_service_center"]
        assert [o.id for o in repo.offices_for_service(s, "passport_application", district="jiangcheng")] == [
            "city_service_center"
        ]
        assert repo.offices_for_service(s, "nope") == []
        office = repo.get_office(s, "city_service_center")
    assert office.district.id == "jiangcheng" and office.district.name.en == "Jiangcheng District"
    assert office.hours[0].days == "mon-fri" and office.hours[0].weekdays == (0, 1, 2, 3, 4)
    assert office.hours[1].weekdays == (5,) and office.hours[1].close == "12:00"
    assert office.lunch == repo.LunchBreak("12:00", "13:30") and office.open_on_holidays is False


def test_calendar(loaded):
    with db.session_scope(loaded) as s:
        cal = repo.calendar(s)
    assert cal.timezone == "Asia/Shanghai"
    assert cal.holidays[date(2026, 10, 1)].zh == "国庆节"
    assert set(cal.holidays) == {date(2026, 10, 1), date(2026, 10, 2)}
    assert cal.is_makeup_workday(date(2026, 10, 10)) and not cal.is_holiday(date(2026, 10, 10))


def test_content_version_and_noop_writes(loaded, docs):
    data = docs["services/exit_entry.yml"]["services"][0]
    with db.session_scope(loaded) as s:
        v0 = repo.content_version(s)
        assert v0 > 0
        assert repo.upsert_service(s, data, "alice") is None  # identical → no revision
        assert repo.content_version(s) == v0
        changed = copy.deepcopy(data)
        changed["fee"]["en"] = "CNY 150"
        changed["offices"] = ["city_service_center"]
        assert repo.upsert_service(s, changed, "alice") == "update"
        assert repo.content_version(s) == v0 + 1
        svc = repo.get_service(s, "passport_application")
        assert svc.fee.en == "CNY 150" and svc.office_ids == ("city_service_center",)
        assert svc.updated_by == "alice"
        hist = revisions.history(s, "service", "passport_application")
        assert [(h.number, h.action, h.changed_by) for h in hist] == [(1, "create", "tester"), (2, "update", "alice")]
        assert hist[-1].snapshot == changed


def test_write_helpers_validate(loaded, docs):
    data = docs["services/exit_entry.yml"]["services"][0]
    with db.session_scope(loaded) as s:
        bad = copy.deepcopy(data)
        bad["department"] = "no_such_dept"
        bad["source_url"] = "nope"
        with pytest.raises(loader.ValidationFailed) as exc:
            repo.upsert_service(s, bad, "alice")
        fields = {i.field for i in exc.value.issues}
        assert "source_url" in fields
        bad["source_url"] = data["source_url"]
        with pytest.raises(loader.ValidationFailed, match="unknown department"):
            repo.upsert_service(s, bad, "alice")
        office = copy.deepcopy(docs["offices.yml"]["offices"][0])
        office["hours"][0]["close"] = "08:00"
        with pytest.raises(loader.ValidationFailed, match="not before"):
            repo.upsert_office(s, office, "alice")


def test_create_and_delete(loaded, docs):
    with db.session_scope(loaded) as s:
        dept = {"id": "tax", "name": {"zh": "税务局", "en": "Tax Bureau"}, "phone": "12366",
                "website": "https://www.chinatax.gov.cn/"}
        assert repo.upsert_department(s, dept, "bob") == "create"
        assert repo.get_department(s, "tax").name.en == "Tax Bureau"
        with pytest.raises(loader.ValidationFailed, match="still referenced by service passport_application"):
            repo.delete_department(s, "psb_exit_entry", "bob")
        with pytest.raises(loader.ValidationFailed, match="faq faq_passport_photo"):
            repo.delete_service(s, "passport_application", "bob")
        with pytest.raises(loader.ValidationFailed, match="still referenced"):
            repo.delete_office(s, "city_service_center", "bob")
        assert repo.delete_faq(s, "faq_passport_photo", "bob") is True
        assert repo.delete_faq(s, "faq_passport_photo", "bob") is False
        assert repo.delete_service(s, "passport_application", "bob") is True
        assert repo.get_service(s, "passport_application") is None
        assert repo.delete_office(s, "exit_entry_hubin", "bob") is True
        assert repo.delete_department(s, "tax", "bob") is True
        last = revisions.history(s, "department", "tax")[-1]
        assert last.action == "delete" and last.snapshot == dept and last.changed_by == "bob"


def test_faq_write_and_reference_to_existing_service(loaded):
    faq = {"id": "faq_new", "service": "id_card_application", "tags": ["fee"],
           "questions": {"zh": ["身份证多少钱"], "en": ["How much is an ID card?"]},
           "answer": {"zh": "20元。", "en": "CNY 20."}}
    with db.session_scope(loaded) as s:
        assert repo.upsert_faq(s, faq, "carol") == "create"
        assert repo.get_faq(s, "faq_new").service_id == "id_card_application"
