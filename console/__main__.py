"""Staff accounts from the command line: `python -m console create-user|set-password|list-users`.

There is no default account: the first administrator is created here, e.g.
``python -m console create-user admin --role admin`` (asks for the password twice; or reads it
from standard input with ``--password-stdin``)."""
from __future__ import annotations

import argparse
import getpass
import sys

from bot.settings import Settings
from console.auth import AccountError, create_user, find_user, set_password
from console.models import ROLES, StaffUser, ensure_schema
from knowledge_base import db


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise AccountError("passwords_differ")
    return first


def _session(args: argparse.Namespace):
    engine = db.get_engine(args.database_url or Settings.from_env().database_url)
    if not db.is_initialised(engine):
        db.init_db(engine)
    ensure_schema(engine)
    return db.session_scope(engine)


def cmd_create(args: argparse.Namespace) -> int:
    password = _password(args)
    with _session(args) as session:
        create_user(session, args.username, password, args.role, args.display_name or "")
        from console import audit

        audit.record(session, "cli", "user_create", args.username, f"role {args.role}", "cli")
    print(f"created {args.role} {args.username}")
    return 0


def cmd_set_password(args: argparse.Namespace) -> int:
    password = _password(args)
    with _session(args) as session:
        user = find_user(session, args.username)
        if user is None:
            raise AccountError("no_such_user")
        set_password(user, password)
        user.active = True
        from console import audit

        audit.record(session, "cli", "user_update", args.username, "password reset, unlocked", "cli")
    print(f"password of {args.username} changed; the account is unlocked")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with _session(args) as session:
        for u in session.query(StaffUser).order_by(StaffUser.username):
            print(f"{u.username}\t{u.role}\t{'active' if u.active else 'inactive'}")
    return 0


MESSAGES = {
    "password_too_short": "the password needs at least 10 characters",
    "username_taken": "that user name is taken",
    "username_invalid": "invalid user name",
    "role_invalid": f"role must be one of {', '.join(ROLES)}",
    "passwords_differ": "the two passwords differ",
    "no_such_user": "no such user",
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m console", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", help="default: $DATABASE_URL or var/knowledge_base.db")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("create-user", help="create a staff account")
    p.add_argument("username")
    p.add_argument("--role", choices=ROLES, default="viewer")
    p.add_argument("--display-name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_create)
    p = sub.add_parser("set-password", help="set a new password (also unlocks and re-activates)")
    p.add_argument("username")
    p.add_argument("--password-stdin", action="store_true")
    p.set_defaults(func=cmd_set_password)
    p = sub.add_parser("list-users", help="list staff accounts")
    p.set_defaults(func=cmd_list)
    args = ap.parse_args(argv)
    try:
        return args.func(args)
    except AccountError as exc:
        print(f"error: {MESSAGES.get(exc.code, exc.code)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
