"""Fixtures: a pair of empty databases (knowledge base, tracker store) on SQLite and PostgreSQL.

PostgreSQL: the server comes from TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/
postgres); throw-away databases are made for each test and dropped after it. If the server is
unreachable those tests are skipped, unless REQUIRE_POSTGRES is set (CI), where they fail.
"""
from __future__ import annotations

import os
import secrets

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from knowledge_base import db

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def pg_server():
    """An AUTOCOMMIT connection to the PostgreSQL server and a maker of throw-away databases."""
    server = os.environ.get("TEST_POSTGRES_URL", DEFAULT_PG)
    admin = create_engine(server, isolation_level="AUTOCOMMIT", future=True)
    try:
        conn = admin.connect()
    except DBAPIError as exc:
        admin.dispose()
        reason = f"PostgreSQL not reachable at {make_url(server).render_as_string(hide_password=True)}: {exc}"
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    made: list[str] = []

    def new_database() -> str:
        name = f"desk_test_{secrets.token_hex(6)}"
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return make_url(server).set(database=name).render_as_string(hide_password=False)

    try:
        yield new_database
    finally:
        db.dispose_engines()
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.close()
        admin.dispose()


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"),
                        pytest.param("postgresql", id="pg", marks=pytest.mark.postgres)])
def desk_urls(request, tmp_path) -> tuple[str, str]:
    """(knowledge-base URL, tracker-store URL), both empty, on each backend."""
    if request.param == "sqlite":
        urls = (f"sqlite:///{tmp_path / 'kb.db'}", f"sqlite:///{tmp_path / 'tracker.db'}")
    else:
        new_database = request.getfixturevalue("pg_server")
        urls = (new_database(), new_database())
    yield urls
    db.dispose_engines()
