"""Signed backup archives: files plus a SHA-256 manifest signed with Ed25519.

An archive is a gzip'd tar holding ``manifest.json`` (every file's SHA-256 and size, when, by whom,
with which key), ``manifest.sig`` (the Ed25519 signature of the manifest's exact bytes) and the
files. It is written to a private temporary file and renamed into place, so a reader sees either
the old archive or the complete new one. Reading checks the signature against trusted keys and
every digest before returning anything.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tarfile
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from . import keyfile

FORMAT = "govassist-signed-backup"
VERSION = 2
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
MAX_UNPACKED_BYTES = 512 * 1024 * 1024  # a decompression bomb stops here


class BackupError(ValueError):
    """The archive is unreadable, unsigned, signed by an unknown key, or altered."""


@dataclass(frozen=True)
class Archive:
    """A verified archive: its manifest, the manifest's SHA-256, and its files."""

    manifest: dict[str, Any]
    manifest_sha256: str
    files: dict[str, bytes]


def _b64decode(value: str) -> bytes:
    raw = value.strip().encode()
    return base64.urlsafe_b64decode(raw.replace(b"+", b"-").replace(b"/", b"_") + b"=" * (-len(raw) % 4))


def private_key(value: str, key_file: Path) -> Ed25519PrivateKey:
    """The signing key: ``value`` (base64 of the 32-byte seed, or a PEM) if given, else the key kept
    in ``key_file`` (created on first use, readable by the owner only)."""
    if value.strip():
        if "PRIVATE KEY" in value:
            key = serialization.load_pem_private_key(value.encode(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise BackupError("BACKUP_SIGNING_KEY is a PEM key but not an Ed25519 one")
            return key
        try:
            seed = _b64decode(value)
        except ValueError:
            seed = b""
        if len(seed) != 32:
            raise BackupError("BACKUP_SIGNING_KEY must be the base64 of a 32-byte Ed25519 seed "
                              "(python -m knowledge_base keygen prints one) or a PEM private key")
        return Ed25519PrivateKey.from_private_bytes(seed)
    try:
        seed = keyfile.read_or_create(key_file, when_replaced="older backups then need its public key trusted")
    except ValueError as exc:
        raise BackupError(str(exc)) from None
    return Ed25519PrivateKey.from_private_bytes(seed)


def new_seed() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key (first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(public_bytes(key)).hexdigest()[:16]


def trusted_keys(own: Ed25519PrivateKey, extra: str = "") -> dict[str, Ed25519PublicKey]:
    """Keys whose signatures are accepted: our own, plus base64 raw public keys separated by
    commas (BACKUP_TRUSTED_KEYS: older keys after a rotation, or another site's)."""
    keys = [own.public_key()]
    for item in filter(None, (part.strip() for part in extra.split(","))):
        try:
            keys.append(Ed25519PublicKey.from_public_bytes(_b64decode(item)))
        except ValueError as exc:
            raise BackupError(f"BACKUP_TRUSTED_KEYS holds a key that is not a 32-byte Ed25519 public key: {exc}")
    return {key_id(k): k for k in keys}


def pack(files: dict[str, bytes], key: Ed25519PrivateKey, **meta: Any) -> tuple[bytes, dict[str, Any]]:
    """The archive's bytes and its manifest, for ``files`` signed with ``key``."""
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": datetime.now(timezone.utc).isoformat(),
        **meta,
        "key_id": key_id(key.public_key()),
        "public_key": base64.b64encode(public_bytes(key.public_key())).decode(),
        "files": {name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                  for name, data in sorted(files.items())},
    }
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    members = {MANIFEST: manifest_bytes, SIGNATURE: base64.b64encode(key.sign(manifest_bytes)) + b"\n", **files}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(timezone.utc).timestamp())
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue(), manifest


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a private temporary file in the same folder + rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _members(data: bytes) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            for info in tar:
                if not info.isfile() or "/" in info.name or info.name in members:
                    raise BackupError(f"unexpected entry in the archive: {info.name!r}")
                total += info.size
                if total > MAX_UNPACKED_BYTES:
                    raise BackupError("the archive unpacks to more than the allowed size")
                extracted = tar.extractfile(info)
                members[info.name] = extracted.read() if extracted else b""
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise BackupError(f"not a backup archive ({exc.__class__.__name__})") from None
    return members


def unpack(data: bytes, trusted: dict[str, Ed25519PublicKey]) -> Archive:
    """Verify and open an archive: signature by a trusted key, then every file's digest."""
    members = _members(data)
    if MANIFEST not in members or SIGNATURE not in members:
        raise BackupError("the archive has no signed manifest (an unsigned or older backup)")
    manifest_bytes = members.pop(MANIFEST)
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
        signature = base64.b64decode(members.pop(SIGNATURE).strip(), validate=True)
    except (UnicodeDecodeError, ValueError):
        raise BackupError("the manifest or its signature is unreadable") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("not a signed backup of this assistant")
    key = trusted.get(str(manifest.get("key_id")))
    if key is None:
        raise BackupError(f"signed with an untrusted key ({manifest.get('key_id')}); "
                          "add its public key to BACKUP_TRUSTED_KEYS if it is yours")
    try:
        key.verify(signature, manifest_bytes)
    except InvalidSignature:
        raise BackupError("the manifest's signature is not valid: the backup was altered") from None
    listed = manifest.get("files")
    if not isinstance(listed, dict) or set(listed) != set(members):
        raise BackupError("the archive's files differ from its manifest")
    for name, data_ in members.items():
        entry = listed[name]
        if hashlib.sha256(data_).hexdigest() != entry.get("sha256") or len(data_) != entry.get("bytes"):
            raise BackupError(f"{name} does not match its SHA-256 in the manifest: the backup was altered")
    return Archive(manifest, hashlib.sha256(manifest_bytes).hexdigest(), members)
