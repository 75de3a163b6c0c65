"""Engines, sessions and migrations on every backend."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from knowledge_base import db
from knowledge_base.models import Base, District, Office

REPO = Path(__file__).resolve().parents[2]


def test_no_engine_at_import_time():
    code = "import knowledge_base.db as d, knowledge_base.repository, knowledge_base.cli; print(len(d._engines))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


def test_sqlite_parent_dir_created(tmp_path):
    url = f"sqlite:///{tmp_path / 'a' / 'b' / 'kb.db'}"
    engine = db.make_engine(url)
    db.init_db(engine)
    assert (tmp_path / "a" / "b" / "kb.db").is_file()
    engine.dispose()


def test_resolve_url_uses_database_url(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/x.db")
    assert db.resolve_url(None) == "sqlite:////tmp/x.db"
    assert db.resolve_url("postgresql://h/db") == "postgresql://h/db"
    monkeypatch.delenv("DATABASE_URL")
    assert db.resolve_url(None).endswith("knowledge_base.db")


def test_init_is_idempotent_and_matches_models(engine):
    db.init_db(engine)
    assert db.schema_revision(engine) == db.head_revision()
    assert db.is_initialised(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"services", "faqs", "offices", "departments", "districts", "calendar_days", "revisions"} <= tables
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_foreign_keys_enforced(engine):
    with pytest.raises(IntegrityError), db.session_scope(engine) as session:
        session.add(Office(id="x", name_zh="x", name_en="x", address_zh="x", address_en="x",
                           district_id="missing", phone="1", hours=[], open_on_holidays=False))


def test_session_scope_commits_and_rolls_back(db_url, engine):
    with db.session_scope(db_url) as session:
        session.add(District(id="d1", name_zh="一", name_en="One"))
    with pytest.raises(RuntimeError), db.session_scope(db_url) as session:
        session.add(District(id="d2", name_zh="二", name_en="Two"))
        session.flush()
        raise RuntimeError("boom")
    with db.session_scope(db_url) as session:
        assert session.execute(select(District.id)).scalars().all() == ["d1"]
        assert session.execute(text("SELECT count(*) FROM districts")).scalar() == 1


def test_sqlite_knowledge_base_writes_ahead_with_a_busy_timeout(tmp_path):
    from knowledge_base.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'kb.db'}")
    with engine.connect() as con:
        assert con.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert con.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert con.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
