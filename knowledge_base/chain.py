"""The revision hash chain: every revision row carries the SHA-256 of its own fields and of the
revision before it, so editing, deleting or re-ordering any stored revision is detectable.

``revision_hash`` is pure (no database); ``verify_rows`` checks a sequence of revision dicts in id
order and returns what is wrong. The head (last id and hash) is also kept in ``kb_meta`` so that
deleting the newest revisions is detected too.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

GENESIS = "0" * 64
HEAD_KEY = "revision_head"


def _when(value: datetime | str) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def revision_hash(row: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 (hex) of one revision's fields and the previous revision's hash."""
    fields = {
        "id": int(row["id"]),
        "entity_type": row["entity_type"],
        "entity_id": row["entity_id"],
        "number": int(row["number"]),
        "action": row["action"],
        "snapshot": row["snapshot"],
        "changed_by": row["changed_by"],
        "changed_at": _when(row["changed_at"]),
        "comment": row.get("comment"),
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def format_head(rev_id: int, rev_hash: str) -> str:
    return f"{rev_id}:{rev_hash}"


def parse_head(value: str | None) -> tuple[int, str] | None:
    if not value or ":" not in value:
        return None
    rev_id, _, rev_hash = value.partition(":")
    try:
        return int(rev_id), rev_hash
    except ValueError:
        return None


@dataclass(frozen=True)
class ChainProblem:
    """One finding of :func:`verify_rows` (``revision_id`` None: about the chain as a whole)."""

    revision_id: int | None
    kind: str  # edited | broken_link | missing_hash | head_missing | head_mismatch | truncated
    detail: str

    def __str__(self) -> str:
        where = f"revision {self.revision_id}" if self.revision_id is not None else "chain"
        return f"{where}: {self.kind}: {self.detail}"


def verify_rows(rows: Iterable[dict[str, Any]], head: str | None) -> tuple[int, list[ChainProblem]]:
    """Check revisions (dicts with the stored ``hash``/``prev_hash``, in id order) against the
    chain and the recorded head; returns (number checked, problems)."""
    problems: list[ChainProblem] = []
    prev = GENESIS
    last: tuple[int, str] | None = None
    count = 0
    for row in rows:
        count += 1
        rid = int(row["id"])
        stored, stored_prev = row.get("hash"), row.get("prev_hash")
        if not stored or not stored_prev:
            problems.append(ChainProblem(rid, "missing_hash", "no hash stored"))
        else:
            if stored_prev != prev:
                problems.append(ChainProblem(
                    rid, "broken_link",
                    "does not follow the revision before it (a revision was deleted, inserted or re-ordered)"))
            if revision_hash(row, stored_prev) != stored:
                problems.append(ChainProblem(rid, "edited", "its fields no longer match its hash"))
        prev = stored or prev
        last = (rid, stored or "")
    recorded = parse_head(head)
    if recorded is None:
        if count:
            problems.append(ChainProblem(None, "head_missing", "no recorded head of the chain"))
    elif last is None:
        problems.append(ChainProblem(None, "truncated", f"head {recorded[0]} recorded but no revisions stored"))
    elif recorded != last:
        kind = "truncated" if recorded[0] > last[0] else "head_mismatch"
        problems.append(ChainProblem(
            None, kind, f"recorded head is revision {recorded[0]}, the chain ends at revision {last[0]}"))
    return count, problems
