"""Admin: download a backup of the knowledge base, restore one (uploaded or kept), and undo a
restore: before every restore the current state is kept as a backup on the server."""
from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aiohttp import web

from console.web import audit, db, flash, posted, redirect, render, requires, t
from knowledge_base import backup, repository

MAX_BACKUP_BYTES = 5 * 1024 * 1024
NAME_RE = re.compile(r"^[0-9TZ_-]{15,40}[a-z-]*\.json$")


def _dir(request: web.Request) -> Path:
    path = request.app["settings"].data_dir / "backups"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _kept(request: web.Request) -> list[dict]:
    files = sorted(_dir(request).glob("*.json"), reverse=True)[:50]
    return [{"name": f.name, "size_kb": round(f.stat().st_size / 1024)} for f in files]


@requires("admin")
async def page(request: web.Request) -> web.Response:
    version = await db(request, repository.content_version)
    return await render(request, "backup.html", {"kept": _kept(request), "version": version})


@requires("admin")
async def download(request: web.Request) -> web.Response:
    def work(session) -> dict:
        audit(session, request, "backup", "knowledge base")
        return backup.create_backup(session)

    data = await db(request, work)
    body = json.dumps(data, ensure_ascii=False, indent=1)
    return web.Response(text=body, content_type="application/json", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="knowledge-base-{_stamp()}.json"'})


async def _restore(request: web.Request, data: Any, source: str) -> None:
    """Keeps the current state as a backup on the server, then replaces it (one transaction)."""
    folder = _dir(request)

    def work(session) -> str:
        before = backup.create_backup(session)
        name = f"{_stamp()}-before-restore.json"
        (folder / name).write_text(json.dumps(before, ensure_ascii=False, indent=1), encoding="utf-8")
        backup.restore_backup(session, data, force=True)
        audit(session, request, "restore", source, f"previous state kept as {name}")
        return name

    try:
        kept = await db(request, work)
    except (ValueError, RuntimeError, KeyError, TypeError) as exc:
        await flash(request, "restore_failed", kind="error", reason=str(exc).splitlines()[0][:300])
        raise redirect(request, "backup")
    await flash(request, "restored", kept=kept)
    raise redirect(request, "backup")


@requires("admin")
async def restore_upload(request: web.Request) -> web.Response:
    _, data = await posted(request)
    upload = data.get("backup")
    if upload is None or not hasattr(upload, "file"):
        await flash(request, "restore_failed", kind="error", reason=t(request, "backup_missing"))
        raise redirect(request, "backup")
    raw = upload.file.read(MAX_BACKUP_BYTES + 1)
    if len(raw) > MAX_BACKUP_BYTES:
        await flash(request, "restore_failed", kind="error", reason=t(request, "import_too_large"))
        raise redirect(request, "backup")
    try:
        parsed = await asyncio.to_thread(json.loads, raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        await flash(request, "restore_failed", kind="error", reason=t(request, "backup_not_json"))
        raise redirect(request, "backup")
    await _restore(request, parsed, Path(upload.filename or "upload").name[:100])
    raise redirect(request, "backup")


@requires("admin")
async def restore_kept(request: web.Request) -> web.Response:
    """Restores a backup kept on the server (e.g. the state before the last restore: its undo)."""
    await posted(request)
    name = request.match_info["name"]
    path = _dir(request) / name
    if not NAME_RE.match(name) or not path.is_file():
        raise web.HTTPNotFound()
    data = await asyncio.to_thread(lambda: json.loads(path.read_text(encoding="utf-8")))
    await _restore(request, data, name)
    raise redirect(request, "backup")


def add_routes(router: Any) -> None:
    router.add_get("/backup/", page, name="backup")
    router.add_get("/backup/download", download, name="backup_download")
    router.add_post("/backup/restore", restore_upload, name="backup_restore")
    router.add_post("/backup/restore/{name}", restore_kept, name="backup_restore_kept")
