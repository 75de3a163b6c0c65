"""Admin: download a signed backup (knowledge base, revisions, tickets, feedback), restore one
(uploaded or kept) after its signature and digests are verified, and undo a restore: before every
restore the current state is kept as a signed backup on the server."""
from __future__ import annotations

import asyncio
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aiohttp import web

from console.content import translate_message
from console.web import audit, db, flash, lang_of, posted, redirect, render, requires, t
from knowledge_base import backup, repository, signing

MAX_BACKUP_BYTES = 50 * 1024 * 1024
SUFFIX = ".tar.gz"
NAME_RE = re.compile(r"^[0-9TZ_-]{15,40}[a-z-]*\.tar\.gz$")


def _dir(request: web.Request) -> Path:
    path = request.app["settings"].data_dir / "backups"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _keys(request: web.Request) -> tuple[signing.Ed25519PrivateKey, dict]:
    settings = request.app["settings"]
    key = signing.private_key(settings.backup_signing_key, settings.backup_key_file)
    return key, signing.trusted_keys(key, settings.backup_trusted_keys)


def _kept(request: web.Request) -> list[dict]:
    files = sorted(_dir(request).glob(f"*{SUFFIX}"), reverse=True)[:50]
    return [{"name": f.name, "size_kb": round(f.stat().st_size / 1024)} for f in files]


@requires("admin")
async def page(request: web.Request) -> web.Response:
    version = await db(request, repository.content_version)
    key, _ = _keys(request)
    return await render(request, "backup.html", {"kept": _kept(request), "version": version,
                                                 "key_id": signing.key_id(key.public_key())})


@requires("admin")
async def download(request: web.Request) -> web.Response:
    key, _ = _keys(request)

    def work(session) -> bytes:
        audit(session, request, "backup", "knowledge base")
        return backup.create_archive(session, key, request["user"].username)[0]

    data = await db(request, work)
    return web.Response(body=data, content_type="application/gzip", headers={
        "Content-Disposition": f'attachment; filename="knowledge-base-{_stamp()}{SUFFIX}"'})


async def _restore(request: web.Request, raw: bytes, source: str) -> None:
    """Verifies the archive (signature, digests, its revision chain) before anything else, keeps
    the current state as a signed backup on the server, then replaces it (one transaction)."""
    key, trusted = _keys(request)
    try:
        verified = await asyncio.to_thread(backup.open_archive, raw, trusted)
    except signing.BackupError as exc:
        reason = translate_message(str(exc).splitlines()[0], lang_of(request))
        await flash(request, "restore_failed", kind="error", reason=reason[:300])
        raise redirect(request, "backup")
    folder = _dir(request)
    user = request["user"].username

    def work(session) -> str:
        name = f"{_stamp()}-before-restore{SUFFIX}"
        data, _ = backup.create_archive(session, key, user)
        signing.write_atomic(folder / name, data)
        backup.restore_backup(session, verified, user=user, source=source, force=True)
        audit(session, request, "restore", source,
              f"signed by key {verified.archive.manifest.get('key_id')}; previous state kept as {name}")
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
    await _restore(request, raw, Path(upload.filename or "upload").name[:100])
    raise redirect(request, "backup")


@requires("admin")
async def restore_kept(request: web.Request) -> web.Response:
    """Restores a backup kept on the server (e.g. the state before the last restore: its undo)."""
    await posted(request)
    name = request.match_info["name"]
    path = _dir(request) / name
    if not NAME_RE.match(name) or not path.is_file():
        raise web.HTTPNotFound()
    raw = await asyncio.to_thread(path.read_bytes)
    await _restore(request, raw, name)
    raise redirect(request, "backup")


def add_routes(router: Any) -> None:
    router.add_get("/backup/", page, name="backup")
    router.add_get("/backup/download", download, name="backup_download")
    router.add_post("/backup/restore", restore_upload, name="backup_restore")
    router.add_post("/backup/restore/{name}", restore_kept, name="backup_restore_kept")
