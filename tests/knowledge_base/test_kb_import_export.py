"""CLI import/export: all-or-nothing imports, lossless round trips, FAQ sheets, ``build``."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from knowledge_base import db, models

TABLES = (models.District, models.Department, models.Office, models.Service, models.ServiceOffice, models.Faq,
          models.CalendarDay, models.Setting, models.Revision)


def counts(db_url) -> dict[str, int]:
    with db.session_scope(db_url) as s:
        return {m.__tablename__: s.execute(select(func.count()).select_from(m)).scalar() for m in TABLES}


def export(kb) -> dict:
    code, out, _ = kb("export")
    assert code == 0
    return json.loads(out)


def test_import_and_json_export_shape(kb, content_dir):
    code, _, err = kb("import", content_dir, "--user", "ann")
    assert code == 0, err
    data = export(kb)
    assert set(data) == {"services", "faqs", "departments", "offices", "districts", "calendar"}
    assert [s["id"] for s in data["services"]] == ["id_card_application", "passport_application"]
    assert data["calendar"]["timezone"] == "Asia/Shanghai"
    assert [d["date"] for d in data["calendar"]["public_holidays"]] == ["2026-10-01", "2026-10-02"]
    assert data["services"][1]["offices"] == ["exit_entry_hubin", "city_service_center"]


def test_failed_import_changes_nothing(kb, db_url, content_dir, tmp_path, docs, write):
    assert kb("import", content_dir)[0] == 0
    before_counts, before_export = counts(db_url), export(kb)
    # A bigger input whose valid records would change the DB, plus one bad record.
    docs["services/exit_entry.yml"]["services"][0]["fee"]["en"] = "CNY 999"
    docs["departments.yml"]["departments"].append(
        {"id": "tax", "name": {"zh": "税务", "en": "Tax"}, "phone": "1", "website": "https://tax.example.cn/"})
    docs["faqs/exit_entry.yml"]["faqs"][1]["service"] = "ghost_service"
    bad = write(tmp_path / "bad", docs)
    code, _, err = kb("import", bad)
    assert code == 1
    assert f"{bad / 'faqs/exit_entry.yml'}: faq_opening_hours: service: unknown service 'ghost_service'" in err
    assert "nothing was changed" in err
    assert counts(db_url) == before_counts and export(kb) == before_export


def test_import_may_reference_existing_records(kb, content_dir, tmp_path, write, docs):
    assert kb("import", content_dir / "offices.yml")[0] == 0
    assert kb("import", content_dir / "departments.yml")[0] == 0
    code, _, err = kb("import", content_dir / "services/exit_entry.yml")
    assert code == 0, err
    assert [s["id"] for s in export(kb)["services"]] == ["passport_application"]
    # …but a reference to a record that exists nowhere is refused.
    svc = write(tmp_path / "x", {"s.yml": {"services": [
        {**docs["services/household.yml"]["services"][0], "department": "nowhere"}]}})
    assert kb("import", svc / "s.yml")[0] == 1


def test_round_trip_json(kb, content_dir, tmp_path, db_url):
    assert kb("import", content_dir)[0] == 0
    first = tmp_path / "e1.json"
    assert kb("export", "--format", "json", "--output", first)[0] == 0
    version = counts(db_url)["revisions"]
    code, out, _ = kb("import", first)
    assert code == 0 and "0 created, 0 updated, 0 deleted" in out
    assert counts(db_url)["revisions"] == version
    second = tmp_path / "e2.json"
    assert kb("export", "--output", second)[0] == 0
    assert first.read_bytes() == second.read_bytes()


def test_round_trip_yaml_dir_into_fresh_db(kb, content_dir, tmp_path, db_url, engine):
    assert kb("import", content_dir)[0] == 0
    original = export(kb)
    out_dir = tmp_path / "yaml"
    assert kb("export", "--format", "yaml", "--output", out_dir)[0] == 0
    assert {p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*.yml")} == {
        "calendar.yml", "departments.yml", "offices.yml", "services/exit_entry.yml", "services/household.yml",
        "faqs/exit_entry.yml", "faqs/general.yml"}
    # Wipe and re-import the YAML export: identical export.
    with db.session_scope(db_url) as s:
        for m in (models.Faq, models.ServiceOffice, models.Service, models.Office, models.District,
                  models.Department, models.CalendarDay, models.Setting, models.Revision):
            s.execute(m.__table__.delete())
    assert export(kb)["services"] == []
    assert kb("import", out_dir)[0] == 0
    assert export(kb) == original
    single = tmp_path / "all.yml"
    assert kb("export", "--format", "yaml", "--output", single)[0] == 0
    code, out, _ = kb("import", single)
    assert code == 0 and "0 created, 0 updated" in out
    out_dir2 = tmp_path / "yaml2"
    assert kb("export", "--format", "yaml", "--output", out_dir2)[0] == 0
    for p in out_dir.rglob("*.yml"):
        assert p.read_text(encoding="utf-8") == (out_dir2 / p.relative_to(out_dir)).read_text(encoding="utf-8")


def test_faq_import_from_xlsx_and_csv(kb, content_dir, tmp_path, write_sheet):
    assert kb("import", content_dir)[0] == 0
    code, out, err = kb("import", write_sheet(tmp_path / "faqs.xlsx"), "--user", "sheet")
    assert code == 0, err
    assert "2 created" in out
    faqs = {f["id"]: f for f in export(kb)["faqs"]}
    assert faqs["faq_sheet_a"]["questions"]["en"] == ["How much is a passport?", "Passport fee"]
    assert faqs["faq_sheet_a"]["tags"] == ["photo", "fee"] and faqs["faq_sheet_a"]["service"] == "passport_application"
    # The same rows as CSV: nothing changes.
    code, out, _ = kb("import", write_sheet(tmp_path / "faqs.csv"))
    assert code == 0 and "0 created, 0 updated" in out
    # A sheet row pointing to an unknown service fails the whole sheet.
    rows = [["id", "service", "question_zh", "question_en", "answer_zh", "answer_en"],
            ["faq_ok", "", "问", "Q", "答", "A"],
            ["faq_bad", "ghost", "问", "Q", "答", "A"]]
    code, _, err = kb("import", write_sheet(tmp_path / "bad.csv", rows))
    assert code == 1 and "faq_bad: service: unknown service 'ghost'" in err
    assert "faq_ok" not in {f["id"] for f in export(kb)["faqs"]}


def test_build_is_idempotent(kb, content_dir, db_url, write, docs):
    code, out, err = kb("build", "--content", content_dir)
    assert code == 0, err
    assert out.startswith("built from")
    first = counts(db_url)
    code, out, _ = kb("build", "--content", content_dir)
    assert code == 0 and "up to date" in out
    assert counts(db_url) == first
    # Change one file and remove a FAQ: the build updates, but keeps records the files lack
    # (they may have been created in the staff console) unless asked to --prune.
    docs["faqs/exit_entry.yml"]["faqs"].pop()
    docs["services/household.yml"]["services"][0]["fee"]["zh"] = "免费"
    write(content_dir, docs)
    code, out, _ = kb("build", "--content", content_dir)
    assert code == 0 and "1 updated, 0 deleted" in out, out
    assert len(export(kb)["faqs"]) == 2
    code, out, _ = kb("build", "--content", content_dir, "--force", "--prune")
    assert code == 0 and "0 updated, 1 deleted" in out, out
    data = export(kb)
    assert [f["id"] for f in data["faqs"]] == ["faq_passport_photo"]
    assert kb("build", "--content", content_dir)[2] == "" and "up to date" in kb("build", "--content", content_dir)[1]
    # --force re-imports but changes nothing.
    code, out, _ = kb("build", "--content", content_dir, "--force")
    assert code == 0 and "0 created, 0 updated, 0 deleted" in out


def test_build_with_invalid_content_changes_nothing(kb, content_dir, db_url, docs, write):
    assert kb("build", "--content", content_dir)[0] == 0
    before = counts(db_url)
    docs["offices.yml"]["offices"][0]["hours"][0]["days"] = "someday"
    write(content_dir, docs)
    code, _, err = kb("build", "--content", content_dir)
    assert code == 1 and "city_service_center: hours[0].days: bad day name" in err
    assert counts(db_url) == before


def test_cli_as_module(db_url, content_dir):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "DATABASE_URL": db_url}
    repo_root = Path(__file__).resolve().parents[2]
    run = subprocess.run([sys.executable, "-m", "knowledge_base", "import", str(content_dir)], cwd=repo_root,
                         env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    run = subprocess.run([sys.executable, "-m", "knowledge_base", "export"], cwd=repo_root, env=env,
                         capture_output=True, text=True, check=True)
    assert len(json.loads(run.stdout)["services"]) == 2


def test_build_keeps_records_staff_created_in_the_console(tmp_path):
    """`build` imports the content files without deleting what the console added (--prune does)."""
    from knowledge_base import db as kb_db
    from knowledge_base import repository
    from knowledge_base.cli import main as kb_cli

    url = f"sqlite:///{tmp_path / 'kb.db'}"
    assert kb_cli(["--database-url", url, "build"]) == 0
    faq = {"id": "faq_console_only", "tags": [], "questions": {"zh": ["新问题"], "en": ["New question"]},
           "answer": {"zh": "答案", "en": "Answer"}}
    with kb_db.session_scope(url) as s:
        repository.upsert(s, "faq", faq, "console-editor")
    assert kb_cli(["--database-url", url, "build", "--force"]) == 0
    with kb_db.session_scope(url) as s:
        assert repository.export_record(s, "faq", "faq_console_only") is not None
    assert kb_cli(["--database-url", url, "build", "--force", "--prune"]) == 0
    with kb_db.session_scope(url) as s:
        assert repository.export_record(s, "faq", "faq_console_only") is None
