"""Synthetic conversations for the dashboard's benchmark, demos and screenshots.

Writes ``conversation_turns`` rows (and matching feedback and tickets) with texts taken from the
knowledge base (FAQ wordings, service aliases) and the out-of-scope training examples, spread
over ``days`` days. ``spike`` adds a burst in the last hour (for the hot-topic warning).
`python -m console.seed --conversations 100000` seeds the stores named by the settings."""
from __future__ import annotations

import argparse
import random
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import yaml
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from knowledge_base import repository
from service_desk.models import ConversationTurn, Feedback, HandoffTicket, TurnRollup
from service_desk.turns import local_day

REPO = Path(__file__).resolve().parent.parent
ASPECTS = ("overview", "how", "materials", "where", "who", "fee", "duration", "hours", "online", "eligibility")
CHANNELS = (("webchat", 0.62), ("telegram", 0.28), ("rest", 0.10))
OUTCOMES = (("answered", 0.72), ("clarified", 0.06), ("smalltalk", 0.07), ("refused", 0.08),
            ("fallback", 0.05), ("handoff", 0.02))


@dataclass(frozen=True)
class Spike:
    text: str
    service: Optional[str]
    count: int
    language: str = "zh"


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


def _out_of_scope_texts() -> list[str]:
    texts: list[str] = []
    for path in sorted((REPO / "data" / "nlu").glob("out_of_scope*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            texts += [re.sub(r"^- ", "", line).strip() for line in str(block.get("examples", "")).splitlines()
                      if line.strip().startswith("- ")]
    return texts or ["天气怎么样", "what's the weather"]


def _service_texts(kb: Session) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for s in repository.list_services(kb):
        out[s.id] = {"zh": list(s.aliases.get("zh")) or [s.name.get("zh")],
                     "en": list(s.aliases.get("en")) or [s.name.get("en")]}
    for faq in repository.export_records(kb, "faq"):
        if faq.get("service") in out:
            for lang in ("zh", "en"):
                out[faq["service"]][lang] += faq["questions"][lang]
    return out


def seed(conv: Session, kb: Session, *, conversations: int, days: int = 30, now: Optional[float] = None,
         seed_value: int = 7, tz: str = "Asia/Shanghai", spikes: tuple[Spike, ...] = (),
         batch: int = 5000) -> int:
    """Adds ``conversations`` synthetic conversations (1–5 messages each); returns the turn count."""
    rng = random.Random(seed_value)
    now = time.time() if now is None else now
    services = _service_texts(kb)
    service_ids = sorted(services)
    popularity = [1.0 / (i + 1) ** 0.8 for i in range(len(service_ids))]
    refusals = _out_of_scope_texts()
    rows: list[dict] = []
    feedback: list[Feedback] = []
    tickets: list[HandoffTicket] = []
    total = 0

    def flush() -> None:
        nonlocal rows, total
        if rows:
            conv.execute(insert(ConversationTurn), rows)
            total += len(rows)
            rows = []

    for n in range(conversations):
        start = now - rng.random() * days * 86400
        sender = f"seed-{seed_value}-{n}"
        channel = _pick(rng, CHANNELS)
        lang = "zh" if rng.random() < 0.7 else "en"
        service = rng.choices(service_ids, popularity)[0]
        ts = start
        has_open = False  # one open ticket per conversation (service_desk.store.open_ticket)
        for turn in range(rng.randint(1, 5)):
            outcome = _pick(rng, OUTCOMES)
            if outcome in ("refused", "smalltalk"):
                text, svc, aspect = rng.choice(refusals), None, None
            else:
                text, svc = rng.choice(services[service][lang]), service
                aspect = rng.choice(ASPECTS) if outcome == "answered" else None
            rows.append({"sender_id": sender, "timestamp": ts, "channel": channel, "language": lang,
                         "text": text[:500], "intent": None, "service": svc if outcome != "fallback" else None,
                         "aspect": aspect, "outcome": outcome, "day": local_day(ts, tz),
                         "opens_session": turn == 0})
            if outcome == "handoff":
                status = "closed" if ts < now - 3600 or has_open else "open"
                has_open = has_open or status == "open"
                tickets.append(HandoffTicket(sender_id=sender, channel=channel, language=lang, reason="requested",
                                             service=svc, status=status,
                                             transcript=[{"who": "user", "text": text}],
                                             created_at=datetime.fromtimestamp(ts, timezone.utc)))
            if outcome == "answered" and rng.random() < 0.15:
                feedback.append(Feedback(sender_id=sender, channel=channel, language=lang, service=svc,
                                         aspect=aspect, rating="up" if rng.random() < 0.8 else "down",
                                         created_at=datetime.fromtimestamp(ts + 5, timezone.utc)))
            ts += rng.randint(10, 120)
        if len(rows) >= batch:
            flush()
    for spike in spikes:
        for i in range(spike.count):
            ts = now - rng.random() * 3000
            rows.append({"sender_id": f"spike-{seed_value}-{i}", "timestamp": ts, "channel": "webchat",
                         "language": spike.language, "text": spike.text, "intent": None, "service": spike.service,
                         "aspect": None, "outcome": "answered" if spike.service else "refused",
                         "day": local_day(ts, tz), "opens_session": True})
    flush()
    # days that were already counted for the dashboard are counted again with the new messages
    first_day = local_day(now - days * 86400 - 86400, tz)
    conv.execute(delete(TurnRollup).where(TurnRollup.day >= first_day))
    kb.add_all(feedback)
    kb.add_all(tickets)
    return total


def main(argv: Optional[list[str]] = None) -> int:
    from sqlalchemy.orm import sessionmaker

    from bot.settings import Settings
    from console.app import tracker_engine
    from knowledge_base import db
    from service_desk.store import ensure_schema

    ap = argparse.ArgumentParser(prog="python -m console.seed", description=__doc__)
    ap.add_argument("--conversations", type=int, default=2000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--spike", help="text of a burst of messages in the last hour")
    ap.add_argument("--spike-service")
    ap.add_argument("--spike-count", type=int, default=40)
    args = ap.parse_args(argv)
    settings = Settings.from_env()
    kb_engine = db.get_engine(settings.database_url)
    ensure_schema(kb_engine)
    conv_engine = tracker_engine(settings.tracker_db_url)
    spikes = (Spike(args.spike, args.spike_service, args.spike_count),) if args.spike else ()
    with sessionmaker(bind=conv_engine)() as conv, sessionmaker(bind=kb_engine)() as kb:
        n = seed(conv, kb, conversations=args.conversations, days=args.days, tz=settings.timezone, spikes=spikes)
        conv.commit()
        kb.commit()
    print(f"seeded {args.conversations} conversations ({n} messages) into {settings.tracker_db_url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
