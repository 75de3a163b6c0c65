"""Engines, sessions and schema migration.  Nothing connects at import time."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

PACKAGE_DIR = Path(__file__).resolve().parent
ALEMBIC_INI = PACKAGE_DIR / "alembic.ini"

_engines: dict[str, Engine] = {}


def resolve_url(url: str | None = None) -> str:
    """``url`` or, if empty, the configured database URL (DATABASE_URL / default SQLite file)."""
    if url:
        return url
    from bot.settings import Settings

    return Settings.from_env().database_url


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    """Foreign keys on; write-ahead log and a busy timeout so that readers (the bot answering)
    are not blocked by a staff import holding the write lock, and writers wait instead of failing."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    try:
        cur.execute("PRAGMA journal_mode=WAL")
    except Exception:  # an in-memory or read-only database keeps its journal mode
        pass
    cur.close()


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """A new engine; for SQLite the parent directory is created and foreign keys are enforced."""
    url = resolve_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:" and not db.startswith("file:"):
            Path(db).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def get_engine(url: str | None = None) -> Engine:
    """A cached engine per URL (created on first use)."""
    url = resolve_url(url)
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def dispose_engines() -> None:
    """Dispose every cached engine (tests, shutdown)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


def make_sessionmaker(engine: Engine) -> sessionmaker:
    """Session factory bound to ``engine`` (2.0-style sessions, no expiry on commit)."""
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@contextmanager
def session_scope(url: str | Engine | None = None) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on error."""
    engine = url if isinstance(url, Engine) else get_engine(url)
    session = make_sessionmaker(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _alembic_config():
    from alembic.config import Config

    cfg = Config(str(ALEMBIC_INI))
    cfg.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    return cfg


def init_db(engine: Engine) -> None:
    """Create or upgrade the schema to the latest Alembic revision."""
    from alembic import command

    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (None if not initialised)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """The newest Alembic revision shipped with the code."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def is_initialised(engine: Engine) -> bool:
    """True if the knowledge-base tables exist."""
    return inspect(engine).has_table("revisions")
