"""Shell exports for `make run-prod`, from URLs in the environment.

DATABASE_URL (knowledge base, tickets, feedback), TRACKER_DB_URL (conversations) and REDIS_URL
(locks) default to the PostgreSQL and Redis of this machine's standard loopback ports. The two
PostgreSQL databases are created when missing. Prints ``export NAME=value`` lines for
endpoints.prod.yml (which takes the tracker store and lock store as separate fields).
"""
from __future__ import annotations

import os
import shlex
import sys
from urllib.parse import urlsplit

DEFAULTS = {
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/govassist",
    "TRACKER_DB_URL": "postgresql://postgres@127.0.0.1:5432/govassist_conversations",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def ensure_database(url: str) -> None:
    """Creates the PostgreSQL database named in ``url`` if it does not exist."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    if not target.drivername.startswith("postgresql"):
        return
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as con:
            exists = con.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                 {"n": target.database}).scalar()
            if not exists:
                con.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def exports(env: dict[str, str]) -> dict[str, str]:
    urls = {k: env.get(k) or v for k, v in DEFAULTS.items()}
    tracker = urlsplit(urls["TRACKER_DB_URL"])
    redis = urlsplit(urls["REDIS_URL"])
    return {
        **urls,
        "TRACKER_DB_HOST": tracker.hostname or "127.0.0.1",
        "TRACKER_DB_PORT": str(tracker.port or 5432),
        "TRACKER_DB_NAME": tracker.path.lstrip("/") or "govassist_conversations",
        "TRACKER_DB_USER": tracker.username or "",
        "TRACKER_DB_PASSWORD": tracker.password or "",
        "REDIS_HOST": redis.hostname or "127.0.0.1",
        "REDIS_PORT": str(redis.port or 6379),
        "REDIS_LOCK_DB": (redis.path.lstrip("/") or "0"),
        "REDIS_PASSWORD": redis.password or "",
    }


def main() -> int:
    values = exports(dict(os.environ))
    try:
        ensure_database(values["DATABASE_URL"])
        ensure_database(values["TRACKER_DB_URL"])
    except Exception as e:  # a clear message instead of a traceback
        print(f"run-prod: PostgreSQL is not reachable ({type(e).__name__}: {e}).\n"
              "Set DATABASE_URL and TRACKER_DB_URL to a PostgreSQL server (see docs/production.md).",
              file=sys.stderr)
        return 1
    for name, value in values.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
