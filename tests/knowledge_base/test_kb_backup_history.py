"""Backup/restore and history/revert, through the CLI."""
from __future__ import annotations

import copy
import json

import yaml

from knowledge_base import db, revisions
from knowledge_base import repository as repo


def export(kb) -> dict:
    code, out, _ = kb("export")
    assert code == 0
    return json.loads(out)


def history_rows(kb, *args) -> list[list[str]]:
    code, out, err = kb("history", *args)
    assert code == 0, err
    return [line.split() for line in out.splitlines()[2:]]


def test_backup_and_restore(kb, db_url, content_dir, tmp_path, docs):
    assert kb("import", content_dir, "--user", "ann")[0] == 0
    with db.session_scope(db_url) as s:
        changed = copy.deepcopy(docs["services/exit_entry.yml"]["services"][0])
        changed["fee"] = {"zh": "140元", "en": "CNY 140"}
        repo.upsert_service(s, changed, "bob")
        repo.delete_faq(s, "faq_opening_hours", "bob")
    original, original_history = export(kb), history_rows(kb, "passport_application")
    backup_file = tmp_path / "kb-backup.tar.gz"
    code, out, _ = kb("backup", backup_file)
    assert code == 0 and backup_file.is_file()

    # Restoring into the same (non-empty) database is refused without --force.
    code, _, err = kb("restore", backup_file)
    assert code == 1 and "not empty" in err

    # Into an empty database: identical export and history; the restore is itself a revision.
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    code, _, err = kb("--database-url", fresh, "restore", backup_file)  # later option wins
    assert code == 0, err
    code, out, _ = kb("--database-url", fresh, "export")
    assert json.loads(out) == original
    code, out, _ = kb("--database-url", fresh, "history", "passport_application")
    assert [line.split() for line in out.splitlines()[2:]] == original_history
    with db.session_scope(db_url) as a, db.session_scope(fresh) as b:
        assert repo.content_version(b) == repo.content_version(a) + 1
        restore = revisions.history(b, "knowledge_base", "backup")[-1]
        assert restore.action == "restore" and restore.snapshot["source"] == "kb-backup.tar.gz"
        assert repo.get_service(a, "passport_application") == repo.get_service(b, "passport_application")
        # New revisions continue after the restored ones.
        repo.delete_faq(b, "faq_passport_photo", "carol")
        assert repo.content_version(b) == repo.content_version(a) + 2

    # --force replaces a non-empty database.
    code, _, err = kb("restore", backup_file, "--force")
    assert code == 0, err
    assert export(kb) == original


def test_restore_into_empty_database_on_each_backend(kb, db_url, content_dir, tmp_path):
    source = f"sqlite:///{tmp_path / 'source.db'}"
    assert kb("--database-url", source, "import", content_dir)[0] == 0
    original = json.loads(kb("--database-url", source, "export")[1])
    assert kb("--database-url", source, "backup", tmp_path / "b.tar.gz")[0] == 0
    assert kb("restore", tmp_path / "b.tar.gz")[0] == 0
    assert export(kb) == original
    with db.session_scope(db_url) as s:  # the sequence continues after restored ids
        before = repo.content_version(s)
        repo.delete_faq(s, "faq_opening_hours", "x")
        assert repo.content_version(s) == before + 1


def test_history_and_revert_update(kb, db_url, content_dir, tmp_path, docs, write):
    assert kb("import", content_dir, "--user", "ann")[0] == 0
    docs["services/exit_entry.yml"]["services"][0]["fee"]["en"] = "CNY 160"
    write(tmp_path / "v2", {"s.yml": docs["services/exit_entry.yml"]})
    assert kb("import", tmp_path / "v2" / "s.yml", "--user", "bob")[0] == 0
    rows = history_rows(kb, "passport_application")
    assert [r[:3] for r in rows] == [["1", "create", "ann"], ["2", "update", "bob"]]

    code, _, err = kb("revert", "passport_application", "2", "--user", "carol")
    assert code == 0, err
    service = next(s for s in export(kb)["services"] if s["id"] == "passport_application")
    assert service["fee"]["en"] == "CNY 120"
    rows = history_rows(kb, "passport_application")
    assert rows[-1][:3] == ["3", "update", "carol"] and "revert of revision 2" in " ".join(rows[-1])
    with db.session_scope(db_url) as s:
        hist = revisions.history(s, "service", "passport_application")
        assert hist[2].snapshot == hist[0].snapshot


def test_revert_create_deletes_and_revert_delete_restores(kb, db_url, content_dir):
    assert kb("import", content_dir)[0] == 0
    before = export(kb)
    faq = before["faqs"][0]  # faq_opening_hours
    # Reverting the create deletes the record.
    code, out, err = kb("revert", faq["id"], "1", "--user", "dan")
    assert code == 0 and "delete" in out, err
    assert faq["id"] not in [f["id"] for f in export(kb)["faqs"]]
    rows = history_rows(kb, faq["id"], "--entity", "faq")
    assert rows[0][:2] == ["1", "create"] and rows[1][:3] == ["2", "delete", "dan"]
    # Reverting that delete brings it back, identical.
    code, out, err = kb("revert", faq["id"], "2", "--user", "erin")
    assert code == 0 and "create" in out, err
    assert export(kb) == before
    assert history_rows(kb, faq["id"])[-1][:3] == ["3", "create", "erin"]
    # Reverting the create of a record still referenced is refused, and changes nothing.
    code, _, err = kb("revert", "passport_application", "1")
    assert code == 1 and "still referenced by faq faq_passport_photo" in err
    assert export(kb) == before


def test_revert_errors_and_ambiguous_ids(kb, content_dir, tmp_path, write, docs):
    assert kb("import", content_dir)[0] == 0
    assert kb("revert", "passport_application", "9")[0] == 1
    assert kb("history", "no_such_thing")[0] == 1
    # An FAQ whose id collides with a service id.
    faq = copy.deepcopy(docs["faqs/exit_entry.yml"]["faqs"][0])
    faq["id"] = "passport_application"
    write(tmp_path / "f", {"f.yml": {"faqs": [faq]}})
    assert kb("import", tmp_path / "f" / "f.yml")[0] == 0
    code, _, err = kb("history", "passport_application")
    assert code == 1 and "ambiguous" in err and "--entity" in err
    assert history_rows(kb, "passport_application", "--entity", "faq")[0][1] == "create"
    assert kb("revert", "passport_application", "1", "--entity", "faq")[0] == 0
    assert "passport_application" in [s["id"] for s in export(kb)["services"]]
    assert "passport_application" not in [f["id"] for f in export(kb)["faqs"]]


def test_calendar_days_have_history(kb, content_dir, tmp_path):
    assert kb("import", content_dir)[0] == 0
    (tmp_path / "c.yml").write_text(yaml.safe_dump({"public_holidays": [
        {"date": "2026-10-01", "name": {"zh": "国庆", "en": "National Day (renamed)"}}]}, allow_unicode=True))
    assert kb("import", tmp_path / "c.yml")[0] == 0
    rows = history_rows(kb, "2026-10-01")
    assert [r[1] for r in rows] == ["create", "update"]
    assert kb("revert", "2026-10-01", "2")[0] == 0
    assert export(kb)["calendar"]["public_holidays"][0]["name"]["en"] == "National Day"
