"""The server's SQLite store: one row per delivery, both idempotency key and inbox journal.

A delivery's row is written (claimed) before its steps run, in one `BEGIN IMMEDIATE`
transaction, so of two deliveries of one key, in this process or another worker, exactly
one runs; the row keeps the whole event and the headers replay needs. It then moves on:

    running  → answered (the response, kept for `dedupe_window`) → done | dead
    running  → (released: a response that is not a success leaves nothing behind)

A duplicate of an answered or done key gets the recorded response; a duplicate of a
running key waits for it; a dead key (dead-lettered: drain timeout, crash, failed steps)
is run again by the next delivery (that is how `flowgen replay` completes it; steps keyed
with `idempotency_key` are replayed from the step store, not called twice).

Who holds a row is `owner` = `pid:token` (token: random per process start). A row whose
owner process is gone (SIGKILL) is taken over: on start the server finishes what such
owners left (`adopt`), and a delivery of such a key runs it. The store is a local file
(WAL needs one machine), so process ids are meaningful.

The file is in WAL mode. Claims go through a connection with `synchronous=FULL`: a 2xx is
only sent once the row saying the event was accepted is on disk. The later moves (answered,
done, dead, released) go through a second connection with `synchronous=NORMAL`: they reach
the OS at commit, so a killed process loses none of them, and the next claim's fsync takes
them to disk too; a power cut could lose the last few, and a lost move leaves the row
`running`, which restart recovery finishes (steps replay from the step store). One fsync
per delivery instead of three (bench/README.md, "Serve"). Steps' idempotency keys live in
the same file (`StepStore`, the engine's `SqliteIdempotencyStore`).
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copilot.run.resilience.idempotency import SqliteIdempotencyStore

TOKEN = secrets.token_hex(6)
OWNER = f"{os.getpid()}:{TOKEN}"


def owner_alive(owner: str | None) -> bool:
    """Whether the process that wrote `owner` (`pid:token`) still runs."""
    if not owner:
        return False
    pid_text, _, token = owner.partition(":")
    if token == TOKEN and pid_text == str(os.getpid()):
        return True
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid == os.getpid():
        return False  # an earlier process that had our pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True, slots=True)
class Run:
    """This process now runs the delivery (`recovered`: it takes over a dead or crashed one)."""

    recovered: bool = False
    answered: tuple[int, Any] | None = None  # the response already sent, when taking over


@dataclass(frozen=True, slots=True)
class Replay:
    status: int
    body: Any


@dataclass(frozen=True, slots=True)
class Wait:
    """Another live process (or task) runs it: look again soon."""


@dataclass(frozen=True, slots=True)
class Conflict:
    """The key was used for another event."""


@dataclass(frozen=True, slots=True)
class Pending:
    """An accepted delivery someone must finish: the whole event and its headers."""

    key: str
    flow: str
    event: dict[str, Any]
    headers: dict[str, str]
    state: str
    answered: tuple[int, Any] | None


class ServeStore:
    """Deliveries by key (see the module docstring). Every method is one short transaction."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS deliveries ("
            " key TEXT PRIMARY KEY, flow TEXT NOT NULL, request TEXT NOT NULL,"
            " event TEXT NOT NULL, headers TEXT NOT NULL, state TEXT NOT NULL,"
            " status INTEGER, body TEXT, owner TEXT, accepted_at REAL NOT NULL,"
            " expires REAL, completed TEXT)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS deliveries_state ON deliveries (state)")
        # The moves after a claim: durable against a killed process, fsynced by the next claim.
        self._relaxed = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=30.0
        )
        self._relaxed.execute("PRAGMA synchronous=NORMAL")

    def _transaction(self, work: Any) -> Any:
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                value = work(db)
                db.execute("COMMIT")
                return value
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def claim(
        self, key: str, flow: str, request: str, event: dict[str, Any], headers: dict[str, str]
    ) -> Run | Replay | Wait | Conflict:
        """Take `key` for this process, or say what to do instead (replay, wait, conflict)."""

        def work(db: sqlite3.Connection) -> Run | Replay | Wait | Conflict:
            now = time.time()
            row = db.execute(
                "SELECT request, state, status, body, owner, expires FROM deliveries WHERE key = ?", (key,)
            ).fetchone()
            recovered = False
            answered = None
            if row is not None:
                stored, state, status, body, owner, expires = row
                live = state in ("running", "answered", "dead") or (expires is not None and expires > now)
                if live and stored != request:
                    return Conflict()
                if state == "running" and owner_alive(owner):
                    return Wait()
                fresh = expires is None or expires > now
                if fresh and (state == "done" or (state == "answered" and owner_alive(owner))):
                    return Replay(status, json.loads(body))
                recovered = state in ("running", "answered", "dead")
                if state in ("answered", "dead") and status is not None:
                    answered = (status, json.loads(body))
            db.execute(
                "INSERT OR REPLACE INTO deliveries (key, flow, request, event, headers, state, status,"
                " body, owner, accepted_at, expires, completed)"
                " VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, NULL, NULL)",
                (
                    key, flow, request, json.dumps(event, ensure_ascii=False), json.dumps(headers),
                    None if answered is None else answered[0],
                    None if answered is None else json.dumps(answered[1]),
                    OWNER, now,
                ),
            )  # fmt: skip
            return Run(recovered, answered)

        return self._transaction(work)  # type: ignore[no-any-return]

    def answer(self, key: str, status: int, body: Any, window: float) -> None:
        """Record the response sent for `key` (kept `window` seconds for duplicates)."""
        with self._lock:
            self._relaxed.execute(
                "UPDATE deliveries SET state = 'answered', status = ?, body = ?, expires = ?"
                " WHERE key = ? AND owner = ? AND state = 'running'",
                (status, json.dumps(body, default=str), time.time() + window, key, OWNER),
            )

    def release(self, key: str) -> None:
        """Forget a running key this process holds (its response was not a success)."""
        with self._lock:
            self._relaxed.execute(
                "DELETE FROM deliveries WHERE key = ? AND owner = ? AND state = 'running'", (key, OWNER)
            )

    def finish(self, key: str, state: str, completed: list[str]) -> None:
        """Mark a delivery `done` or `dead`, with the steps that completed."""
        with self._lock:
            self._relaxed.execute(
                "UPDATE deliveries SET state = ?, completed = ? WHERE key = ? AND owner = ?"
                " AND state IN ('running', 'answered')",
                (state, json.dumps(completed), key, OWNER),
            )

    def state(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT state FROM deliveries WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def event_of(self, key: str) -> dict[str, Any] | None:
        """The whole event accepted under `key` (redacted fields included), for replay."""
        with self._lock:
            row = self._db.execute("SELECT event FROM deliveries WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])  # type: ignore[no-any-return]

    def adopt(self, flows: set[str]) -> list[Pending]:
        """Take over every unfinished delivery of `flows` whose owner process is gone."""

        def work(db: sqlite3.Connection) -> list[Pending]:
            rows = db.execute(
                "SELECT key, flow, event, headers, state, status, body, owner FROM deliveries"
                " WHERE state IN ('running', 'answered')"
            ).fetchall()
            taken = []
            for key, flow, event, headers, state, status, body, owner in rows:
                if flow not in flows or owner_alive(owner):
                    continue
                db.execute("UPDATE deliveries SET owner = ? WHERE key = ?", (OWNER, key))
                answered = None if status is None else (status, json.loads(body))
                taken.append(Pending(key, flow, json.loads(event), json.loads(headers), state, answered))
            return taken

        return self._transaction(work)  # type: ignore[no-any-return]

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._db.execute("SELECT state, COUNT(*) FROM deliveries GROUP BY state").fetchall())

    def purge(self) -> int:
        """Delete done deliveries whose dedupe window has passed."""
        with self._lock:
            cur = self._db.execute(
                "DELETE FROM deliveries WHERE state = 'done' AND expires <= ?", (time.time(),)
            )
            return cur.rowcount

    def close(self) -> None:
        with self._lock:
            self._relaxed.close()
            self._db.close()


class StepStore(SqliteIdempotencyStore):
    """The engine's step idempotency in the server's file, without its event-level keys.

    The server keeps event-level idempotency itself (`ServeStore`: across workers, and a
    dead-lettered event may run again); the engine's own `event:` records would answer a
    replay from the store instead of finishing it.
    """

    def lookup(self, key: str, request: Any) -> Any:
        if key.startswith("event:"):
            return None
        return super().lookup(key, request)

    def record(self, key: str, request: Any, value: Any, window: float) -> None:
        if key.startswith("event:"):
            return
        super().record(key, request, value, window)
