"""Staff commands for handoff tickets and retention: `python -m service_desk list|show|close|purge`."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone

from bot.settings import Settings
from knowledge_base import db
from service_desk.models import HandoffTicket
from service_desk.rasa_api import append_event, staff_jwt
from service_desk.store import ensure_schema


def _session(url: str | None):
    engine = db.get_engine(url)
    ensure_schema(engine)
    return db.session_scope(engine)


def cmd_list(args: argparse.Namespace) -> int:
    with _session(args.database_url) as session:
        q = session.query(HandoffTicket).order_by(HandoffTicket.id)
        if not args.all:
            q = q.filter_by(status="open")
        for t in q:
            print(f"{t.id}\t{t.status}\t{t.language}\t{t.channel}\t{t.service or '-'}\t{t.sender_id}\t{t.created_at}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with _session(args.database_url) as session:
        t = session.get(HandoffTicket, args.ticket)
        if t is None:
            print(f"error: no ticket {args.ticket}", file=sys.stderr)
            return 1
        print(json.dumps({"id": t.id, "status": t.status, "sender_id": t.sender_id, "language": t.language,
                          "service": t.service, "reason": t.reason, "transcript": t.transcript},
                         ensure_ascii=False, indent=2))
    return 0


def cmd_close(args: argparse.Namespace) -> int:
    """Closes a ticket and resumes the bot for that conversation."""
    settings = Settings.from_env()
    with _session(args.database_url) as session:
        t = session.get(HandoffTicket, args.ticket)
        if t is None or t.status != "open":
            print(f"error: no open ticket {args.ticket}", file=sys.stderr)
            return 1
        jwt = ""
        if settings.rasa_jwt_secret:
            jwt = staff_jwt(settings.rasa_jwt_secret, args.by)
        for event in ({"event": "resume"}, {"event": "action", "name": "action_listen"}):
            append_event(args.rasa_url or settings.rasa_api_url, t.sender_id, event,
                         token=settings.rasa_token, timeout=settings.http_timeout, jwt=jwt)
        t.status, t.closed_by, t.closed_at = "closed", args.by, datetime.now(timezone.utc)
    print(f"ticket {args.ticket} closed; the assistant answers that conversation again")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    """Deletes conversations, summaries, closed tickets and feedback older than the retention."""
    from sqlalchemy import create_engine

    from service_desk.retention import purge

    settings = Settings.from_env()
    days = settings.retention_days if args.days is None else args.days
    if days < 1:
        print("retention is off (RETENTION_DAYS=0): nothing purged")
        return 0
    tracker = create_engine(args.tracker_db_url or settings.tracker_db_url)
    try:
        counts = purge(db.get_engine(args.database_url), tracker, days, dry_run=args.dry_run,
                       tz=settings.timezone)
    finally:
        tracker.dispose()
    verb = "would delete" if args.dry_run else "deleted"
    print(f"older than {days} days, {verb}: " + counts.summary())
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m service_desk", description=__doc__)
    ap.add_argument("--database-url", help="default: $DATABASE_URL or var/knowledge_base.db")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("list", help="open tickets (--all for every ticket)")
    p.add_argument("--all", action="store_true")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("show", help="one ticket with its masked transcript")
    p.add_argument("ticket", type=int)
    p.set_defaults(func=cmd_show)
    p = sub.add_parser("close", help="close a ticket and resume the bot for that conversation")
    p.add_argument("ticket", type=int)
    p.add_argument("--by", default="staff")
    p.add_argument("--rasa-url", help="default: $RASA_URL or http://localhost:5005")
    p.set_defaults(func=cmd_close)
    p = sub.add_parser("purge", help="delete what is older than RETENTION_DAYS (open tickets and paused "
                                     "conversations are kept)")
    p.add_argument("--days", type=int, help="default: $RETENTION_DAYS (180; 0 = keep forever)")
    p.add_argument("--dry-run", action="store_true", help="only count")
    p.add_argument("--tracker-db-url", help="default: $TRACKER_DB_URL or var/tracker.db")
    p.set_defaults(func=cmd_purge)
    args = ap.parse_args(argv)
    return args.func(args)
