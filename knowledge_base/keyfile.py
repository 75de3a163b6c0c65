"""Secret keys kept in private files on one machine: made once, atomically, then read.

Used where a key may come from the environment or, on a single machine, from a file in the data
directory: the backup signing key here, and by the upper layers the console's session key and the
web chat's sender key. No application imports.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

KEY_BYTES = 32


def read_or_create(path: Path, *, when_replaced: str = "") -> bytes:
    """The 32-byte key in ``path``, made on first use (random, mode 600, fsync'd; written to a
    private temporary file and hard-linked into place, so a process that loses the race to make it
    reads the winner's key). ValueError if the file does not hold 32 bytes; ``when_replaced`` says
    what deleting it to make a new one would cost."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(KEY_BYTES))
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)  # atomic, and never replaces a key another process made
            except FileExistsError:
                pass
        finally:
            tmp.unlink()
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path} must hold {KEY_BYTES} bytes; delete it to make a new one"
                         + (f" ({when_replaced})" if when_replaced else ""))
    return key
