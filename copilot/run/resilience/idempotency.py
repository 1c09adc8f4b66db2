"""Idempotency: a call (or an event) with a key seen before returns the recorded result.

The key is the rendered `idempotency_key`; a hash of the request is stored next to it,
so the same key with a different request is a conflict (a bug in the key template or a
client reusing ids), never a silently wrong answer. In memory for `flowgen run`;
SQLite for `flowgen serve`, so a restart does not forget what was done.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from copilot.run.clock import Clock

DEFAULT_WINDOW = 24 * 3600.0


class IdempotencyConflict(Exception):
    """The key was recorded for a different request."""

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} was already used for a different request")
        self.key = key


@dataclass(frozen=True, slots=True)
class Recorded:
    value: Any
    recorded_at: float


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)
try:
    # The C encoder behind `_CANONICAL`, built once: `json.dumps` with options builds a new
    # encoder per call, which costs more than encoding a small request.
    from json.encoder import c_make_encoder, encode_basestring_ascii

    _ENCODE: Any = c_make_encoder(None, str, encode_basestring_ascii, None, ":", ",", True, False, True)
except (ImportError, TypeError):  # pragma: no cover - CPython always has it
    _ENCODE = None


def request_hash(value: Any) -> str:
    """A stable hash of a JSON-like request (key order does not matter).

    The text hashed is exactly `json.dumps(value, sort_keys=True, separators=(",", ":"),
    default=str)`, so hashes stay comparable with those already in a SQLite store.
    """
    if _ENCODE is not None and type(value) in (list, tuple, dict):
        text = "".join(_ENCODE(value, 0))
    else:
        text = _CANONICAL.encode(value)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class IdempotencyStore(Protocol):
    """Where results are kept by idempotency key, with the fingerprint of their request.

    A store may also have `fingerprint(request) -> str | int` (the engine uses it when
    present, `request_hash` otherwise): what `lookup` and `record` compare for a JSON-like
    request.
    """

    def lookup(self, key: str, request: Any) -> Recorded | None:
        """The recorded result for `key`, None if unseen or expired; conflict if `request` differs."""
        ...

    def record(self, key: str, request: Any, value: Any, window: float) -> None:
        """Remember `value` for `key` for `window` seconds."""
        ...


def local_fingerprint(request: Any) -> Any:
    """A fingerprint for a store that lives in this process only (`MemoryIdempotencyStore`).

    A tuple of strings, numbers and tuples (a model call: step, prompts, models, seed) is
    fingerprinted with Python's own keyed hash, which every string computes once and
    caches, instead of JSON-encoding and hashing a prompt of kilobytes with BLAKE2. Python's
    hash is salted per process, so such a fingerprint never leaves it: a store that outlives
    the process uses `request_hash`. Anything else (dicts: events, http bodies) is
    `request_hash`ed too.
    """
    if type(request) is tuple:
        for part in request:
            if type(part) is dict or type(part) is list:
                return request_hash(request)
        try:
            return hash(request)
        except TypeError:  # something else unhashable inside
            pass
    return request_hash(request)


class MemoryIdempotencyStore:
    """A dict with expiry: what `flowgen run` and `flowgen test` use."""

    def __init__(self, clock: Clock | None = None, max_entries: int = 100_000) -> None:
        import time

        self._now = clock.now if clock is not None else time.monotonic
        self._entries: dict[str, tuple[Any, Any, float, float]] = {}
        self.max_entries = max_entries

    fingerprint = staticmethod(local_fingerprint)

    def lookup(self, key: str, request: Any) -> Recorded | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        stored_request, value, recorded_at, expires = entry
        if self._now() >= expires:
            del self._entries[key]
            return None
        if stored_request != request:
            raise IdempotencyConflict(key)
        return Recorded(value, recorded_at)

    def record(self, key: str, request: Any, value: Any, window: float) -> None:
        now = self._now()
        if len(self._entries) >= self.max_entries:
            self._evict(now)
        self._entries[key] = (request, value, now, now + window)

    def _evict(self, now: float) -> None:
        """Make room in a batch: expired keys, then the oldest tenth (insertion order).

        Evicting one key per insert would scan the whole store on every insert once it is
        full; a batch keeps the cost amortised O(1).
        """
        for key in [k for k, e in self._entries.items() if e[3] <= now]:
            del self._entries[key]
        target = self.max_entries - max(1, self.max_entries // 10)
        while len(self._entries) > target:
            del self._entries[next(iter(self._entries))]

    def __len__(self) -> int:
        return len(self._entries)


class SqliteIdempotencyStore:
    """The same store in a SQLite file (WAL), for `flowgen serve`: survives restarts.

    Times are wall-clock seconds here (a monotonic clock does not survive a restart).
    Values must be JSON-serialisable.
    """

    def __init__(self, path: str | Path, clock: Clock | None = None) -> None:
        import time

        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._now = clock.now if clock is not None else time.time
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS idempotency ("
            " key TEXT PRIMARY KEY, request TEXT NOT NULL, value TEXT NOT NULL,"
            " recorded_at REAL NOT NULL, expires REAL NOT NULL)"
        )

    fingerprint = staticmethod(request_hash)

    def lookup(self, key: str, request: Any) -> Recorded | None:
        request = str(request)
        with self._lock:
            row = self._db.execute(
                "SELECT request, value, recorded_at, expires FROM idempotency WHERE key = ?", (key,)
            ).fetchone()
            if row is None:
                return None
            if self._now() >= row[3]:
                self._db.execute("DELETE FROM idempotency WHERE key = ?", (key,))
                return None
        if row[0] != request:
            raise IdempotencyConflict(key)
        return Recorded(json.loads(row[1]), row[2])

    def record(self, key: str, request: Any, value: Any, window: float) -> None:
        request = str(request)
        now = self._now()
        text = json.dumps(value, default=str)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO idempotency (key, request, value, recorded_at, expires)"
                " VALUES (?, ?, ?, ?, ?)",
                (key, request, text, now, now + window),
            )

    def purge(self) -> int:
        """Delete expired entries; returns how many."""
        with self._lock:
            cur = self._db.execute("DELETE FROM idempotency WHERE expires <= ?", (self._now(),))
            return cur.rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()
