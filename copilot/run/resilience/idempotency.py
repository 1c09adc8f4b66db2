"""Idempotency: a call (or an event) with a key seen before returns the recorded result.

The key is the rendered `idempotency_key`; a hash of the request is stored next to it,
so the same key with a different request is a conflict (a bug in the key template or a
client reusing ids), never a silently wrong answer. In memory for `flowgen run`;
SQLite for `flowgen serve`, so a restart does not forget what was done.

Across processes a lookup-then-record is not enough: two processes handling the same
event both miss, and both call. The SQLite store therefore *claims* a key before the side
effect (`claim`, one `BEGIN IMMEDIATE` transaction): the first caller gets the key with a
lease, a second caller sees it in flight and waits for the recorded result, and a claim
whose holder died (kill -9 mid-call) is taken over once its lease has expired. The
callee gets the same `Idempotency-Key` header on that retry, so it can dedupe it.

`open_shared` and `write_transaction` are the SQLite plumbing of a file several processes
write: this store's and the server's delivery store (`copilot.serve.store`) alike.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

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


@dataclass(frozen=True, slots=True)
class Claimed:
    """This caller now holds the key until `lease_until`: call, then `record` or `release`."""

    token: str
    lease_until: float
    recovered: bool = False  # taken over from a holder whose lease expired (it crashed)


@dataclass(frozen=True, slots=True)
class InFlight:
    """Another caller holds the key; its lease ends at `lease_until` (passed when `expired`)."""

    lease_until: float
    expired: bool = False


DEFAULT_LEASE = 60.0
"""How long a claim holds a key while its call runs, at least (see `SqliteIdempotencyStore`)."""

BUSY_TIMEOUT = 30.0
"""Seconds a connection waits for another process's write lock before it fails."""


def open_shared(path: str | Path, *, synchronous: Literal["FULL", "NORMAL"]) -> sqlite3.Connection:
    """A connection to a SQLite file that several processes share: WAL, autocommit.

    Autocommit (`isolation_level=None`): every write goes in `write_transaction`, which
    takes the database's write lock at its start, so a read-then-write is atomic across
    processes. `synchronous=FULL` fsyncs the WAL at every commit (what was committed
    survives a power cut); `NORMAL` leaves it to the OS (it survives a killed process,
    and the next FULL commit or checkpoint takes it to disk). Usable from any thread
    (`check_same_thread=False`): callers serialise their use with their own lock.
    """
    name = str(path)
    if name != ":memory:":
        Path(name).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(name, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT)
    # Two processes opening a new file at once race to switch it to WAL; the loser gets "database
    # is locked" at once (SQLite does not run the busy handler for a journal-mode change), so it
    # waits its turn here, up to the same busy timeout
    try:
        execute_when_free(db, "PRAGMA journal_mode=WAL", poll=0.01)
    except sqlite3.OperationalError:
        db.close()
        raise
    db.execute(f"PRAGMA synchronous={synchronous}")
    return db


@contextlib.contextmanager
def write_transaction(db: sqlite3.Connection, *, poll: float | None = None) -> Iterator[sqlite3.Connection]:
    """`BEGIN IMMEDIATE` … `COMMIT` on an autocommit connection; rolled back on any exception.

    `poll`: for a connection whose busy timeout is 0 (`PRAGMA busy_timeout=0`), look for
    the write lock again every `poll` seconds, up to `BUSY_TIMEOUT`, instead of SQLite's
    own busy handler, whose waits grow to 100 ms: a writer that waits on another process
    gets the lock within `poll` of its release.
    """
    if poll is None:
        db.execute("BEGIN IMMEDIATE")
    else:
        begin_polling(db, poll)
    try:
        yield db
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def begin_polling(db: sqlite3.Connection, poll: float) -> None:
    """`BEGIN IMMEDIATE`, tried every `poll` seconds while another connection holds the lock."""
    execute_when_free(db, "BEGIN IMMEDIATE", poll=poll)


def execute_when_free(db: sqlite3.Connection, statement: str, *, poll: float) -> None:
    """Run `statement`, again every `poll` seconds while SQLite answers busy ("database is
    locked": another connection holds the lock), up to `BUSY_TIMEOUT`; then the error."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            db.execute(statement)
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                raise
        time.sleep(poll)


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
    Values must be JSON-serialisable. Several processes may share one file: `claim` takes
    a key atomically before a side effect, with a lease of `lease` seconds (or longer,
    when the caller asks) after which a crashed holder's claim is taken over.
    """

    def __init__(self, path: str | Path, clock: Clock | None = None, *, lease: float = DEFAULT_LEASE) -> None:
        import time

        self.path = str(path)
        self._now = clock.now if clock is not None else time.time
        self.lease = lease
        self._lock = threading.Lock()
        self._db = open_shared(self.path, synchronous="NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS idempotency ("
            " key TEXT PRIMARY KEY, request TEXT NOT NULL, value TEXT NOT NULL,"
            " recorded_at REAL NOT NULL, expires REAL NOT NULL)"
        )
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(idempotency)")}
        # A store written before claims existed: every row in it is a recorded result.
        for column, declaration in (("state", "TEXT NOT NULL DEFAULT 'done'"), ("owner", "TEXT")):
            if column not in columns:
                with contextlib.suppress(sqlite3.OperationalError):  # another process added it first
                    self._db.execute(f"ALTER TABLE idempotency ADD COLUMN {column} {declaration}")

    fingerprint = staticmethod(request_hash)

    def lookup(self, key: str, request: Any) -> Recorded | None:
        request = str(request)
        with self._lock:
            row = self._db.execute(
                "SELECT request, value, recorded_at, expires, state FROM idempotency WHERE key = ?", (key,)
            ).fetchone()
            if row is None or row[4] != "done":
                return None  # unseen, or claimed and still in flight: nothing recorded yet
            if self._now() >= row[3]:
                self._db.execute("DELETE FROM idempotency WHERE key = ? AND state = 'done'", (key,))
                return None
        if row[0] != request:
            raise IdempotencyConflict(key)
        return Recorded(json.loads(row[1]), row[2])

    def claim(
        self, key: str, request: Any, lease: float | None = None, *, recover: bool = True
    ) -> Recorded | Claimed | InFlight:
        """Take `key` before a side effect, atomically across processes.

        One `BEGIN IMMEDIATE` transaction (the database's write lock) reads the key and,
        when it is free, writes the claim: so of two processes exactly one gets it.
        Returns the `Recorded` result of an earlier call (a replay), a `Claimed` key (call,
        then `record` or `release`), or `InFlight` when another caller holds it. A claim
        whose lease has expired is taken over (`recover`) or reported `expired`.
        Raises `IdempotencyConflict` when the key was used for another request.
        """
        import secrets

        request = str(request)
        span = max(self.lease, lease or 0.0)
        with self._lock, write_transaction(self._db) as db:
            now = self._now()
            row = db.execute(
                "SELECT request, value, recorded_at, expires, state FROM idempotency WHERE key = ?", (key,)
            ).fetchone()
            recovered = False
            if row is not None and row[3] > now:
                if row[0] != request:
                    raise IdempotencyConflict(key)  # nothing was written: the rollback is a no-op
                if row[4] == "done":
                    return Recorded(json.loads(row[1]), row[2])
                return InFlight(row[3])
            if row is not None and row[4] != "done":
                if not recover:
                    return InFlight(row[3], expired=True)
                recovered = True
            token = secrets.token_hex(8)
            db.execute(
                "INSERT INTO idempotency (key, request, value, recorded_at, expires, state, owner)"
                " VALUES (?, ?, 'null', ?, ?, 'claimed', ?)"
                " ON CONFLICT(key) DO UPDATE SET request = excluded.request, value = excluded.value,"
                " recorded_at = excluded.recorded_at, expires = excluded.expires,"
                " state = excluded.state, owner = excluded.owner",
                (key, request, now, now + span, token),
            )
        return Claimed(token, now + span, recovered)

    def release(self, key: str, token: str) -> None:
        """Give a claimed key back (the call failed): the next delivery may call again."""
        with self._lock:
            self._db.execute(
                "DELETE FROM idempotency WHERE key = ? AND state = 'claimed' AND owner = ?", (key, token)
            )

    def record(self, key: str, request: Any, value: Any, window: float) -> None:
        request = str(request)
        now = self._now()
        text = json.dumps(value, default=str)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO idempotency (key, request, value, recorded_at, expires, state, owner)"
                " VALUES (?, ?, ?, ?, ?, 'done', NULL)",
                (key, request, text, now, now + window),
            )

    def purge(self) -> int:
        """Delete expired entries (and claims whose lease ended); returns how many."""
        with self._lock:
            cur = self._db.execute("DELETE FROM idempotency WHERE expires <= ?", (self._now(),))
            return cur.rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()
