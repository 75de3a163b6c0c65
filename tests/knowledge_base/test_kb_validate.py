"""Validation: every kind of content error is reported with its file, record and field."""
from __future__ import annotations

import pytest

from knowledge_base import cli, loader


@pytest.fixture
def issues_for(tmp_path, docs, write):
    """``issues_for(mutate)``: validate the sample content after ``mutate(docs)``."""

    def run(mutate) -> list[loader.Issue]:
        mutate(docs)
        return loader.validate(loader.load_path(write(tmp_path / "c", docs)))

    return run


def errors(issues):
    return [i for i in issues if i.is_error]


def has(issues, file_suffix: str, record: str, field: str, words: str = "") -> bool:
    return any(
        i.is_error and i.file.endswith(file_suffix) and i.record == record and i.field == field
        and words in i.message
        for i in issues
    )


def svc(docs):
    return docs["services/exit_entry.yml"]["services"][0]


def office(docs, n=0):
    return docs["offices.yml"]["offices"][n]


def test_sample_content_is_valid(content_dir):
    issues = loader.validate(loader.load_path(content_dir))
    assert errors(issues) == []
    content = loader.load_path(content_dir)
    assert set(content.records["service"]) == {"passport_application", "id_card_application"}
    assert len(content.records["calendar_day"]) == 3


@pytest.mark.parametrize(
    "mutate, file, record, field",
    [
        (lambda d: svc(d)["fee"].pop("en"), "services/exit_entry.yml", "passport_application", "fee.en"),
        (lambda d: svc(d).pop("steps"), "services/exit_entry.yml", "passport_application", "steps"),
        (lambda d: svc(d)["name"].update(zh="  "), "services/exit_entry.yml", "passport_application", "name.zh"),
        (lambda d: svc(d)["materials"].update(en=[]), "services/exit_entry.yml", "passport_application",
         "materials.en"),
        (lambda d: svc(d)["online"].pop("zh"), "services/exit_entry.yml", "passport_application", "online.zh"),
        (lambda d: d["departments.yml"]["departments"][0]["name"].pop("zh"), "departments.yml",
         "psb_exit_entry", "name.zh"),
        (lambda d: office(d).pop("address"), "offices.yml", "city_service_center", "address"),
        (lambda d: d["faqs/exit_entry.yml"]["faqs"][0]["answer"].update(en=""), "faqs/exit_entry.yml",
         "faq_passport_photo", "answer.en"),
    ],
    ids=["fee.en", "steps", "name.zh-blank", "materials.en-empty", "online.zh", "dept-name", "address", "answer"],
)
def test_missing_fields(issues_for, mutate, file, record, field):
    assert has(issues_for(mutate), file, record, field)


def test_unknown_references(issues_for):
    def mutate(d):
        svc(d)["department"] = "no_such_dept"
        svc(d)["offices"] = ["city_service_center", "atlantis_office"]
        office(d)["district"] = "nowhere"
        d["faqs/exit_entry.yml"]["faqs"][0]["service"] = "no_such_service"

    issues = issues_for(mutate)
    assert has(issues, "services/exit_entry.yml", "passport_application", "department", "no_such_dept")
    assert has(issues, "services/exit_entry.yml", "passport_application", "offices[1]", "atlantis_office")
    assert has(issues, "offices.yml", "city_service_center", "district", "nowhere")
    assert has(issues, "faqs/exit_entry.yml", "faq_passport_photo", "service", "no_such_service")


@pytest.mark.parametrize("url", ["www.nia.gov.cn", "ftp://nia.gov.cn/", "https://", "http:///path", "https://a b.cn"])
def test_malformed_urls(issues_for, url):
    def mutate(d):
        svc(d)["source_url"] = url
        svc(d)["online"]["url"] = url
        d["departments.yml"]["departments"][1]["website"] = url

    issues = issues_for(mutate)
    assert has(issues, "services/exit_entry.yml", "passport_application", "source_url", "malformed URL")
    assert has(issues, "services/exit_entry.yml", "passport_application", "online.url", "malformed URL")
    assert has(issues, "departments.yml", "psb_household", "website", "malformed URL")


def test_duplicate_ids_within_and_across_files(issues_for):
    def mutate(d):
        faqs = d["faqs/exit_entry.yml"]["faqs"]
        faqs.append(dict(faqs[0]))
        d["services/household.yml"]["services"][0]["id"] = "passport_application"

    issues = issues_for(mutate)
    assert has(issues, "faqs/exit_entry.yml", "faq_passport_photo", "id", "same file")
    dup = [i for i in issues if i.field == "id" and "duplicate service" in i.message]
    assert len(dup) == 1 and dup[0].file.endswith("services/household.yml")
    assert "services/exit_entry.yml" in dup[0].message


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"hours": [{"days": "monday-fri", "open": "09:00", "close": "17:00"}]}, "hours[0].days", "bad day"),
        ({"hours": [{"days": "fri-mon", "open": "09:00", "close": "17:00"}]}, "hours[0].days", "backwards"),
        ({"hours": [{"days": "mon", "open": "9am", "close": "17:00"}]}, "hours[0]", "HH:MM"),
        ({"hours": [{"days": "mon", "open": "09:00", "close": "25:00"}]}, "hours[0]", "HH:MM"),
        ({"hours": [{"days": "mon", "open": 540, "close": "17:00"}]}, "hours[0]", "HH:MM"),
        ({"hours": [{"days": "mon", "open": "17:00", "close": "09:00"}]}, "hours[0]", "not before"),
        ({"hours": [{"days": "mon", "open": "09:00", "close": "09:00"}]}, "hours[0]", "not before"),
        ({"hours": [{"days": "mon-fri", "open": "09:00", "close": "13:00"},
                    {"days": "fri", "open": "12:00", "close": "17:00"}]}, "hours[1]", "overlaps hours[0] on fri"),
        ({"hours": []}, "hours", "empty"),
        ({"lunch": {"start": "13:30", "end": "12:00"}}, "lunch", "not before"),
        ({"lunch": {"start": "18:00", "end": "19:00"}}, "lunch", "outside"),
        ({"lunch": {"start": "12:00", "end": "12:75"}}, "lunch", "HH:MM"),
        ({"holidays": "sometimes"}, "holidays", "open' or 'closed"),
    ],
    ids=["day-name", "day-range", "time-format", "time-25h", "time-int", "open>close", "open=close", "overlap",
         "no-hours", "lunch-order", "lunch-outside", "lunch-format", "holidays"],
)
def test_impossible_opening_hours(issues_for, change, field, words):
    issues = issues_for(lambda d: office(d).update(change))
    assert has(issues, "offices.yml", "city_service_center", field, words), [str(i) for i in issues]


def test_touching_ranges_are_fine(issues_for):
    issues = issues_for(lambda d: office(d).update(hours=[
        {"days": "mon-fri", "open": "09:00", "close": "12:00"},
        {"days": "mon,wed-fri", "open": "12:00", "close": "17:00"},
    ]))
    assert errors(issues) == []


def test_dates(issues_for):
    def mutate(d):
        svc(d)["last_verified"] = "2026-02-30"
        d["calendar.yml"]["public_holidays"][0]["date"] = "2026-13-01"
        d["calendar.yml"]["makeup_workdays"].append({"date": "2026-10-02", "name": {"zh": "调休", "en": "Make-up"}})

    issues = issues_for(mutate)
    assert has(issues, "services/exit_entry.yml", "passport_application", "last_verified", "invalid date")
    assert has(issues, "calendar.yml", "2026-13-01", "date", "invalid date")
    assert has(issues, "calendar.yml", "2026-10-02", "date", "both a public holiday and a make-up workday")


def test_duplicate_calendar_date_and_bad_timezone(issues_for):
    def mutate(d):
        d["calendar.yml"]["public_holidays"].append(dict(d["calendar.yml"]["public_holidays"][0]))
        d["calendar.yml"]["timezone"] = "Mars/Olympus"

    issues = issues_for(mutate)
    assert has(issues, "calendar.yml", "2026-10-01", "id", "duplicate")
    assert has(issues, "calendar.yml", "timezone", "timezone", "unknown time zone")


def test_service_outside_catalogue_is_only_a_warning(issues_for):
    issues = issues_for(lambda d: d["services/household.yml"]["services"][0].update(id="local_extra"))
    assert errors(issues) == []
    if loader.load_catalogue() is not None:
        warn = [i for i in issues if not i.is_error and i.record == "local_extra"]
        assert warn and "catalogue" in warn[0].message


def test_catalogue_warning_with_explicit_catalogue(content_dir):
    content = loader.load_path(content_dir)
    issues = loader.validate(content, catalogue={"passport_application": {}})
    assert [i.record for i in issues if not i.is_error] == ["id_card_application"]


def test_yaml_syntax_error_is_reported_not_raised(tmp_path):
    (tmp_path / "bad.yml").write_text("services: [unclosed\n", encoding="utf-8")
    issues = loader.validate(loader.load_path(tmp_path))
    assert len(errors(issues)) == 1 and "cannot parse" in issues[0].message


def test_unknown_top_level_key(tmp_path):
    (tmp_path / "x.yml").write_text("servicez: []\n", encoding="utf-8")
    assert has(loader.validate(loader.load_path(tmp_path)), "x.yml", "-", "servicez", "unknown top-level")


def test_cli_validate_prints_file_record_field(tmp_path, capsys, docs, write):
    svc(docs)["department"] = "no_such_dept"
    office(docs)["hours"][0]["open"] = "18:00"
    root = write(tmp_path / "c", docs)
    assert cli.main(["validate", str(root)]) == 1
    err = capsys.readouterr().err
    assert f"{root / 'services/exit_entry.yml'}: passport_application: department: unknown department" in err
    assert f"{root / 'offices.yml'}: city_service_center: hours[0]: opening time 18:00" in err


def test_cli_validate_ok(content_dir, capsys):
    assert cli.main(["validate", str(content_dir)]) == 0
    assert capsys.readouterr().out.startswith("ok:")


def test_cli_validate_single_file_and_missing_path(content_dir, capsys):
    assert cli.main(["validate", str(content_dir / "offices.yml")]) == 0
    assert cli.main(["validate", str(content_dir / "nope.yml")]) == 1


# --------------------------------------------------------------------------- FAQ sheets


@pytest.mark.parametrize("name", ["faqs.xlsx", "faqs.csv"])
def test_faq_sheets_parse(tmp_path, write_sheet, name):
    content = loader.load_path(write_sheet(tmp_path / name))
    assert errors(content.issues) == []
    a, b = content.records["faq"]["faq_sheet_a"], content.records["faq"]["faq_sheet_b"]
    assert a == {
        "id": "faq_sheet_a", "service": "passport_application", "tags": ["photo", "fee"],
        "questions": {"zh": ["护照多少钱？", "护照费用"], "en": ["How much is a passport?", "Passport fee"]},
        "answer": {"zh": "120元。", "en": "CNY 120."},
    }
    assert "service" not in b and b["tags"] == [] and b["questions"]["zh"] == ["周末办公吗？", "周六上班吗"]


def test_faq_sheet_errors_name_row_and_column(tmp_path, write_sheet, faq_rows):
    rows = [faq_rows[0], ["", "", "", "问题", "Question", "答", ""]]
    issues = loader.load_path(write_sheet(tmp_path / "f.csv", rows)).issues
    assert has(issues, "f.csv", "row 2", "id", "missing")
    assert has(issues, "f.csv", "row 2", "answer.en", "missing")
    bad_header = [["id", "question_zh"], ["x", "y"]]
    issues = loader.load_path(write_sheet(tmp_path / "g.xlsx", bad_header)).issues
    assert has(issues, "g.xlsx", "-", "question_en,answer_zh,answer_en", "missing column")
