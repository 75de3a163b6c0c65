"""Fixtures: a database per test on SQLite and PostgreSQL, and a small sample content directory.

PostgreSQL: the server comes from TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/
postgres); a throw-away database is created for the session and dropped at the end.  If the server
is unreachable those tests are skipped, unless REQUIRE_POSTGRES is set (CI), where they fail.
"""
from __future__ import annotations

import copy
import csv
import os
import secrets
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from knowledge_base import cli, db

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"

SAMPLE: dict[str, dict] = {
    "calendar.yml": {
        "timezone": "Asia/Shanghai",
        "public_holidays": [
            {"date": "2026-10-01", "name": {"zh": "国庆节", "en": "National Day"}},
            {"date": "2026-10-02", "name": {"zh": "国庆节", "en": "National Day"}},
        ],
        "makeup_workdays": [
            {"date": "2026-10-10", "name": {"zh": "国庆节调休上班", "en": "National Day make-up working day"}},
        ],
    },
    "departments.yml": {
        "departments": [
            {"id": "psb_exit_entry", "name": {"zh": "出入境管理局", "en": "Exit-Entry Administration"},
             "phone": "0571-8700 1234", "hotline": "12367", "website": "https://www.nia.gov.cn/"},
            {"id": "psb_household", "name": {"zh": "户政管理处", "en": "Household Registration Division"},
             "phone": "0571-8700 2000", "website": "https://www.mps.gov.cn/"},
        ]
    },
    "offices.yml": {
        "districts": [
            {"id": "jiangcheng", "name": {"zh": "江城区", "en": "Jiangcheng District"}},
            {"id": "hubin", "name": {"zh": "湖滨区", "en": "Hubin District"}},
        ],
        "offices": [
            {"id": "city_service_center", "name": {"zh": "市民中心", "en": "Citizen Service Centre"},
             "address": {"zh": "江城区人民大道100号", "en": "100 Renmin Avenue, Jiangcheng District"},
             "district": "jiangcheng", "phone": "0571-8800 0000",
             "hours": [{"days": "mon-fri", "open": "09:00", "close": "17:00"},
                       {"days": "sat", "open": "09:00", "close": "12:00"}],
             "lunch": {"start": "12:00", "end": "13:30"}, "holidays": "closed"},
            {"id": "exit_entry_hubin", "name": {"zh": "湖滨出入境办证点", "en": "Hubin Exit-Entry Office"},
             "address": {"zh": "湖滨区湖滨路8号", "en": "8 Hubin Road, Hubin District"},
             "district": "hubin", "phone": "0571-8800 1111",
             "hours": [{"days": "mon-sun", "open": "08:30", "close": "17:30"}], "holidays": "open"},
            {"id": "police_xinhua", "name": {"zh": "新华派出所户籍窗口", "en": "Xinhua Police Station"},
             "address": {"zh": "江城区新华路1号", "en": "1 Xinhua Road, Jiangcheng District"},
             "district": "jiangcheng", "phone": "0571-8800 2222",
             "hours": [{"days": "mon-fri", "open": "08:30", "close": "11:30"},
                       {"days": "mon-fri", "open": "13:30", "close": "17:00"}], "holidays": "closed"},
        ],
    },
    "services/exit_entry.yml": {
        "services": [
            {"id": "passport_application", "name": {"zh": "普通护照申领", "en": "Ordinary passport application"},
             "category": "exit_entry", "department": "psb_exit_entry",
             "offices": ["exit_entry_hubin", "city_service_center"],
             "aliases": {"zh": ["办护照", "护照"], "en": ["passport", "new passport"]},
             "summary": {"zh": "在出入境窗口办理。", "en": "Apply at an exit-entry window."},
             "eligibility": {"zh": "中国公民。", "en": "Chinese citizens."},
             "materials": {"zh": ["居民身份证"], "en": ["Resident ID card"]},
             "steps": {"zh": ["取号", "拍照"], "en": ["Take a number", "Have your photo taken"]},
             "fee": {"zh": "120元", "en": "CNY 120"},
             "processing_time": {"zh": "7个工作日", "en": "7 working days"},
             "online": {"url": "https://s.nia.gov.cn/", "zh": "可网上预约。", "en": "Book online."},
             "source_url": "https://www.nia.gov.cn/", "last_verified": "2026-10-15"},
        ]
    },
    "services/household.yml": {
        "services": [
            {"id": "id_card_application", "name": {"zh": "居民身份证申领", "en": "Resident ID card application"},
             "category": "household", "department": "psb_household", "offices": ["police_xinhua"],
             "aliases": {"zh": ["办身份证"], "en": ["ID card"]},
             "summary": {"zh": "到派出所办理。", "en": "Apply at a police station."},
             "eligibility": {"zh": "本市户籍居民。", "en": "Residents registered in the city."},
             "materials": {"zh": ["户口簿"], "en": ["Household register"]},
             "steps": {"zh": ["采集指纹"], "en": ["Give fingerprints"]},
             "fee": {"zh": "20元", "en": "CNY 20"},
             "processing_time": {"zh": "20天", "en": "20 days"},
             "online": {"url": None, "zh": "不能网上办理。", "en": "Not available online."},
             "source_url": "https://www.mps.gov.cn/", "last_verified": "2026-09-01"},
        ]
    },
    "faqs/exit_entry.yml": {
        "faqs": [
            {"id": "faq_passport_photo", "service": "passport_application", "tags": ["photo"],
             "questions": {"zh": ["办护照要带照片吗？", "护照照片要自己拍吗"],
                           "en": ["Do I need a photo?", "Should I bring my own passport photo?"]},
             "answer": {"zh": "不用，现场拍照。", "en": "No, it is taken on site."}},
            {"id": "faq_opening_hours", "tags": [],
             "questions": {"zh": ["大厅几点开门？", "周末上班吗"], "en": ["When do you open?", "Open at weekends?"]},
             "answer": {"zh": "见各办事点。", "en": "See each office."}},
        ]
    },
}


def sample_docs() -> dict[str, dict]:
    """A fresh deep copy of the sample content (relative file → document)."""
    return copy.deepcopy(SAMPLE)


def write_docs(root: Path, docs: dict[str, dict]) -> Path:
    """Write documents as YAML files under ``root``; returns ``root``."""
    for rel, doc in docs.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


FAQ_ROWS = [
    ["id", "service", "tags", "question_zh", "question_en", "answer_zh", "answer_en"],
    ["faq_sheet_a", "passport_application", "photo, fee", "护照多少钱？|护照费用", "How much is a passport?\nPassport fee",
     "120元。", "CNY 120."],
    ["faq_sheet_b", "", "", "周末办公吗？\n周六上班吗", "Open on Saturday?|Weekend hours?", "部分大厅周六上午办公。",
     "Some halls open on Saturday morning."],
]


def write_xlsx(path: Path, rows=FAQ_ROWS) -> Path:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def write_csv(path: Path, rows=FAQ_ROWS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


@pytest.fixture
def faq_rows() -> list[list[str]]:
    """Header and two rows of an FAQ sheet."""
    return copy.deepcopy(FAQ_ROWS)


@pytest.fixture
def write_sheet():
    """``write_sheet(path, rows=FAQ_ROWS)`` writes an .xlsx or .csv FAQ sheet; returns the path."""

    def run(path: Path, rows=FAQ_ROWS) -> Path:
        return (write_xlsx if path.suffix == ".xlsx" else write_csv)(path, rows)

    return run


@pytest.fixture
def docs() -> dict[str, dict]:
    """A fresh copy of the sample content documents, to mutate."""
    return sample_docs()


@pytest.fixture
def write():
    """``write(root, docs)`` writes documents as YAML files (see :func:`write_docs`)."""
    return write_docs


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """The sample content written as a content directory."""
    return write_docs(tmp_path / "content", sample_docs())


@pytest.fixture(scope="session")
def pg_database() -> str:
    """URL of a throw-away PostgreSQL database for this test session."""
    server = os.environ.get("TEST_POSTGRES_URL", DEFAULT_PG)
    admin = create_engine(server, isolation_level="AUTOCOMMIT", future=True)
    try:
        conn = admin.connect()
    except DBAPIError as exc:  # unreachable server, auth failure …
        admin.dispose()
        reason = f"PostgreSQL not reachable at {make_url(server).render_as_string(hide_password=True)}: {exc}"
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"kb_test_{secrets.token_hex(6)}"
    conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        db.dispose_engines()
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.close()
        admin.dispose()


def _reset_pg(url: str) -> None:
    engine = create_engine(url, future=True)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(
    params=[pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="pg", marks=pytest.mark.postgres)]
)
def db_url(request, tmp_path: Path) -> str:
    """An empty database (no schema) on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'var' / 'kb.db'}"
    else:
        url = request.getfixturevalue("pg_database")
        _reset_pg(url)
    yield url
    db.dispose_engines()


@pytest.fixture
def engine(db_url: str):
    """An engine on a database initialised to the latest schema."""
    eng = db.make_engine(db_url)
    db.init_db(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def kb(db_url: str, capsys, monkeypatch, tmp_path_factory):
    """Run the CLI in-process: ``kb('import', path)`` → (exit code, stdout, stderr); its data
    directory (backup signing key, kept backups) is a temporary one."""
    monkeypatch.setenv("GOVASSIST_DATA_DIR", str(tmp_path_factory.mktemp("var")))
    monkeypatch.delenv("BACKUP_SIGNING_KEY", raising=False)
    monkeypatch.delenv("BACKUP_TRUSTED_KEYS", raising=False)

    def run(*args: object) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(["--database-url", db_url, *map(str, args)])
        out, err = capsys.readouterr()
        return code, out, err

    return run
