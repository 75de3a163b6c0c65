"""Integrity: signed backups (Ed25519 over a SHA-256 manifest) and the revision hash chain."""
from __future__ import annotations

import base64
import io
import json
import os
import stat
import tarfile
from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text

from knowledge_base import backup, chain, db, revisions, signing
from knowledge_base import repository as repo
from knowledge_base.models import Revision
from service_desk.models import Base as DeskBase
from service_desk.models import Feedback, HandoffTicket


def export(kb) -> dict:
    code, out, _ = kb("export")
    assert code == 0
    return json.loads(out)


def members(source) -> dict[str, bytes]:
    opened = tarfile.open(fileobj=source) if isinstance(source, io.BytesIO) else tarfile.open(source)
    with opened as tar:
        return {m.name: tar.extractfile(m).read() for m in tar}


def repack(path, files: dict[str, bytes]) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(buffer.getvalue())


def desk_tables(url: str) -> None:
    engine = db.make_engine(url)
    DeskBase.metadata.create_all(engine)
    engine.dispose()


@pytest.fixture
def filled(kb, db_url, content_dir):
    """The sample content imported, one more edit, a ticket and a feedback row."""
    assert kb("import", content_dir, "--user", "ann")[0] == 0
    desk_tables(db_url)
    with db.session_scope(db_url) as s:
        repo.delete_faq(s, "faq_opening_hours", "bob")
        s.add(HandoffTicket(sender_id="web-1", channel="webchat", language="zh", reason="requested",
                            transcript=[{"who": "user", "text": "转人工"}]))
        s.add(Feedback(sender_id="web-2", channel="webchat", language="en", rating="down", comment="no office"))
    return db_url


def test_backup_is_a_private_signed_archive_and_restores_tickets_and_feedback(kb, filled, tmp_path):
    path = tmp_path / "b.tar.gz"
    code, out, err = kb("backup", path, "--user", "ops")
    assert code == 0, err and "signed with key" in out
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left
    files = members(path)
    assert set(files) == {"manifest.json", "manifest.sig", "knowledge_base.json", "records.json"}
    manifest = json.loads(files["manifest.json"])
    assert manifest["created_by"] == "ops" and manifest["counts"]["handoff_tickets"] == 1
    records = json.loads(files["records.json"])["tables"]
    assert records["feedback"][0]["comment"] == "no office"

    original = export(kb)
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    desk_tables(fresh)
    code, out, err = kb("--database-url", fresh, "restore", path, "--user", "admin")
    assert code == 0, err
    assert "1 handoff_tickets" in out and "1 feedback" in out
    assert kb("--database-url", fresh, "export")[1] and json.loads(kb("--database-url", fresh, "export")[1]) == original
    with db.session_scope(fresh) as s:
        assert s.execute(select(HandoffTicket.transcript)).scalar() == [{"who": "user", "text": "转人工"}]
        assert s.execute(select(Feedback.comment)).scalar() == "no office"
        last = s.execute(select(Revision).order_by(Revision.id.desc())).scalars().first()
        assert (last.action, last.changed_by, last.snapshot["backup_created_by"]) == ("restore", "admin", "ops")
    # The restored chain continues with the restore revision: verify passes, against the backup too.
    code, out, err = kb("--database-url", fresh, "verify", "--backup", path)
    assert code == 0 and "hash chain intact" in out and "matches the backup" in out, err
    # Restoring again over it (--force) adds no duplicate service records and keeps the old state.
    code, out, err = kb("--database-url", fresh, "restore", path, "--force")
    assert code == 0 and "before-restore" in out, err
    with db.session_scope(fresh) as s:
        assert len(s.execute(select(HandoffTicket)).all()) == 1


def test_a_restore_adds_no_second_open_ticket_to_a_conversation(kb, filled, tmp_path):
    path = tmp_path / "b.tar.gz"
    assert kb("backup", path)[0] == 0
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    desk_tables(fresh)
    with db.session_scope(fresh) as s:  # the same conversation handed over again here, another id
        s.add(HandoffTicket(id=50, sender_id="web-1", channel="webchat", language="zh", reason="requested",
                            transcript=[]))
    code, out, err = kb("--database-url", fresh, "restore", path, "--user", "admin")
    assert code == 0, err
    assert "1 feedback" in out and "1 handoff_tickets rows were not restored" in err
    with db.session_scope(fresh) as s:
        assert s.execute(select(HandoffTicket.id).filter_by(sender_id="web-1")).scalars().all() == [50]
        assert s.execute(select(Feedback.comment)).scalar() == "no office"


@pytest.mark.parametrize("tamper, reason", [
    ("content", "does not match its SHA-256"), ("manifest", "signature is not valid"),
    ("signature", "signature is not valid"), ("extra_file", "differ from its manifest"),
    ("unsigned", "no signed manifest"), ("garbage", "not a backup archive"),
])
def test_a_tampered_backup_is_refused_before_anything_changes(kb, filled, tmp_path, tamper, reason):
    path = tmp_path / "b.tar.gz"
    assert kb("backup", path)[0] == 0
    files = members(path)
    if tamper == "content":
        kb_part = json.loads(files["knowledge_base.json"])
        kb_part["content"]["services"][0]["fee"] = {"zh": "免费", "en": "free"}
        files["knowledge_base.json"] = json.dumps(kb_part).encode()
    elif tamper == "manifest":
        manifest = json.loads(files["manifest.json"])
        manifest["files"]["knowledge_base.json"]["sha256"] = "0" * 64
        files["manifest.json"] = json.dumps(manifest).encode()
    elif tamper == "signature":
        files["manifest.sig"] = base64.b64encode(b"\0" * 64)
    elif tamper == "extra_file":
        files["evil.json"] = b"{}"
    elif tamper == "unsigned":
        files = {"knowledge_base.json": files["knowledge_base.json"]}
    repack(path, files)
    if tamper == "garbage":
        path.write_bytes(b'{"format": "govassist-knowledge-base-backup", "version": 1}')
    with db.session_scope(filled) as s:
        repo.delete_faq(s, "faq_passport_photo", "eve")
    before = export(kb)
    code, _, err = kb("restore", path, "--force")
    assert code == 1 and "nothing was changed" in err and reason in err
    assert export(kb) == before


def test_a_backup_signed_by_another_key_needs_that_key_trusted(kb, filled, tmp_path, monkeypatch):
    other = signing.new_seed()
    monkeypatch.setenv("BACKUP_SIGNING_KEY", base64.urlsafe_b64encode(other).decode())
    path = tmp_path / "other.tar.gz"
    assert kb("backup", path)[0] == 0
    monkeypatch.delenv("BACKUP_SIGNING_KEY")  # back to this machine's own key
    code, _, err = kb("verify", "--backup", path)
    assert code == 1 and "untrusted key" in err
    public = signing.Ed25519PrivateKey.from_private_bytes(other).public_key()
    monkeypatch.setenv("BACKUP_TRUSTED_KEYS", base64.b64encode(signing.public_bytes(public)).decode())
    code, out, err = kb("verify", "--backup", path)
    assert code == 0, err


def test_verify_detects_an_edited_a_deleted_and_a_truncated_revision(kb, filled):
    assert kb("verify")[0] == 0
    with db.session_scope(filled) as s:
        ids = [r for r in s.execute(select(Revision.id).order_by(Revision.id)).scalars()]
    middle, last = ids[len(ids) // 2], ids[-1]

    def run_sql(statement: str, **params) -> None:
        engine = db.make_engine(filled)
        with engine.begin() as conn:
            conn.execute(text(statement), params)
        engine.dispose()

    run_sql("UPDATE revisions SET changed_by = 'mallory' WHERE id = :i", i=ids[1])
    code, _, err = kb("verify")
    assert code == 1 and f"revision {ids[1]}: edited" in err

    run_sql("UPDATE revisions SET changed_by = 'ann' WHERE id = :i", i=ids[1])
    assert kb("verify")[0] == 0
    run_sql("DELETE FROM revisions WHERE id = :i", i=middle)
    code, _, err = kb("verify")
    assert code == 1 and "broken_link" in err

    run_sql("DELETE FROM revisions WHERE id = :i", i=last)
    code, _, err = kb("verify")
    assert code == 1 and "truncated" in err


def test_verify_against_a_backup_detects_a_rewritten_chain(kb, filled, tmp_path):
    path = tmp_path / "b.tar.gz"
    assert kb("backup", path)[0] == 0
    # Someone with database access edits a revision and recomputes the whole chain and its head.
    engine = db.make_engine(filled)
    with engine.begin() as conn:
        rows = [dict(r) for r in conn.execute(text("SELECT * FROM revisions ORDER BY id")).mappings()]
        prev = chain.GENESIS
        for row in rows:
            if isinstance(row["snapshot"], str):
                row["snapshot"] = json.loads(row["snapshot"])
            if row["id"] == rows[0]["id"]:
                row["changed_by"] = "mallory"
            digest = chain.revision_hash(row, prev)
            conn.execute(text("UPDATE revisions SET changed_by = :b, prev_hash = :p, hash = :h WHERE id = :i"),
                         {"b": row["changed_by"], "p": prev, "h": digest, "i": row["id"]})
            prev = digest
        conn.execute(text("UPDATE kb_meta SET value = :v WHERE key = :k"),
                     {"v": chain.format_head(rows[-1]["id"], prev), "k": chain.HEAD_KEY})
    engine.dispose()
    assert kb("verify")[0] == 0  # self-consistent again …
    code, _, err = kb("verify", "--backup", path)  # … but not what was signed
    assert code == 1 and "rewritten" in err


def test_revisions_are_append_only_through_the_application(filled):
    with pytest.raises(ValueError, match="append-only"):
        with db.session_scope(filled) as s:
            rev = s.execute(select(Revision).order_by(Revision.id)).scalars().first()
            rev.comment = "quietly changed"
            s.flush()


def test_every_write_path_extends_the_chain(kb, filled):
    with db.session_scope(filled) as s:
        count, problems = revisions.verify(s)
        assert problems == [] and count == len(s.execute(select(Revision.id)).all())
        head = chain.parse_head(s.execute(text("SELECT value FROM kb_meta WHERE key = 'revision_head'")).scalar())
        assert head[0] == revisions.content_version(s)
    assert kb("revert", "faq_opening_hours", "2", "--user", "carol")[0] == 0
    assert kb("verify")[0] == 0


def test_the_migration_chains_revisions_written_before_it(db_url):
    from alembic import command

    engine = db.make_engine(db_url)
    cfg = db._alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        for i, who in enumerate(["ann", "bob", "carol"], start=1):
            conn.execute(text(
                "INSERT INTO revisions (id, entity_type, entity_id, number, action, snapshot, changed_by, changed_at) "
                "VALUES (:i, 'faq', 'f', :i, 'update', :s, :w, :t)"),
                {"i": i, "s": json.dumps({"id": "f", "n": i}), "w": who, "t": datetime(2026, 1, i, tzinfo=timezone.utc)})
    engine.dispose()
    engine = db.make_engine(db_url)
    db.init_db(engine)  # upgrades to head
    with db.session_scope(engine) as s:
        count, problems = revisions.verify(s)
        assert (count, problems) == (3, [])
    engine.dispose()


def test_signing_key_from_the_environment_must_be_well_formed(tmp_path):
    with pytest.raises(signing.BackupError, match="32-byte"):
        signing.private_key("not-a-key", tmp_path / "k")
    key = signing.private_key("", tmp_path / "k")  # made once, private, reused
    assert stat.S_IMODE(os.stat(tmp_path / "k").st_mode) == 0o600
    assert signing.key_id(signing.private_key("", tmp_path / "k").public_key()) == signing.key_id(key.public_key())
    seed = base64.urlsafe_b64encode(signing.new_seed()).decode()
    assert signing.private_key(seed, tmp_path / "unused").public_key()
    assert not (tmp_path / "unused").exists()


def test_open_archive_checks_the_backups_own_chain(tmp_path, db_url, kb, content_dir):
    assert kb("import", content_dir)[0] == 0
    key = signing.private_key("", tmp_path / "k")
    with db.session_scope(db_url) as s:
        data, _ = backup.create_archive(s, key, "ops")
    files = {n: b for n, b in members(io.BytesIO(data)).items() if n not in ("manifest.json", "manifest.sig")}
    kb_part = json.loads(files["knowledge_base.json"])
    del kb_part["revisions"][1]  # a revision dropped before signing: the signature is valid, the chain is not
    files["knowledge_base.json"] = json.dumps(kb_part).encode()
    forged, _ = signing.pack(files, key, created_by="ops")
    with pytest.raises(signing.BackupError, match="chain is broken"):
        backup.open_archive(forged, signing.trusted_keys(key))
