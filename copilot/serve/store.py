"""The server's SQLite store: one row per delivery, both idempotency key and inbox journal.

A delivery's row is written (claimed) before its steps run, in a `BEGIN IMMEDIATE`
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

Group commit. Every write goes to one writer thread per process, which takes whatever
has queued up since its last commit and writes it in one transaction: under load, the
claims of many concurrent deliveries share one fsync, and the event loop never waits on
the disk or on another worker's lock (it only awaits its claim's future; the writer has
its own connection, which looks for the lock every `LOCK_POLL`; the batch's claims and
moves share a few statements, `ServeStore._write_batch`). A batch with a claim in
it commits with `synchronous=FULL`: `claim` returns only once the row saying the event
was accepted is on disk, so a 2xx is never sent for an event a crash could lose. The
later moves (answered, done, dead, released) are queued without waiting and ride with the
next claim's commit, in order after their own claim (alone after `MOVES_LINGER`, with
`synchronous=NORMAL`). A crash (SIGKILL, power cut) can lose the moves of the last
milliseconds, never a claim: a lost move leaves its row `running` (or `answered`) under a
dead owner, which restart recovery finishes or dead-letters (steps keyed with
`idempotency_key` replay from the step store). A claim whose waiter has gone (its task
was cancelled) is released, or disowned when it took over an accepted event, so nothing
is left looking run by a live process. bench/README.md, "Serve", has the numbers.
Steps' idempotency keys live in the same file (`StepStore`, the engine's
`SqliteIdempotencyStore`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from copilot.run.resilience.idempotency import SqliteIdempotencyStore, open_shared, write_transaction

LOCK_POLL = 0.0005
"""Seconds between the writer's looks for the write lock while another worker holds it."""

GIL_SWITCH_INTERVAL = 0.0005
"""What the server sets `sys.setswitchinterval` to (Python's default is 5 ms).

Each statement the writer thread runs gives the GIL back; to get it again from an event
loop that is busy (the state under load) it waits for the switch interval. At 5 ms a
batch of a few statements took 5 to 30 ms to write; at 0.5 ms, 1 to 3 ms. Only threads
that wait for the GIL are concerned: the loop is not interrupted more often otherwise.
"""

# `json.dumps` with options builds a `JSONEncoder` per call: these are built once (same text).
_EVENT_JSON = json.JSONEncoder(ensure_ascii=False).encode
_BODY_JSON = json.JSONEncoder(default=str).encode

MOVES_LINGER = 0.005
"""Seconds queued moves wait for a claim (or a read) to share its commit before going alone."""

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


Work = Callable[[sqlite3.Connection], Any]


@dataclass(slots=True)
class _Write:
    """One piece of work for the writer thread; `future` (on `loop`) gets its result once committed."""

    work: Work
    durable: bool
    loop: asyncio.AbstractEventLoop | None = None
    future: asyncio.Future[Any] | None = None
    on_cancelled: Callable[[Any], None] | None = None  # the waiter left: undo what it took
    # The row it writes, for the batch's shared statements (`ServeStore._write_batch`): `key`
    # (None: a read or a flush, in order with everything), `kind` ("claim", "answer",
    # "finish"; None: only `work`) and `row`, its values in that statement.
    key: str | None = None
    kind: str | None = None
    row: tuple[Any, ...] = ()


class ServeStore:
    """Deliveries by key (see the module docstring): writes grouped on a writer thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.Lock()  # `_db`: start-up, reads, purge
        self._db = open_shared(self.path, synchronous="FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS deliveries ("
            " key TEXT PRIMARY KEY, flow TEXT NOT NULL, request TEXT NOT NULL,"
            " event TEXT NOT NULL, headers TEXT NOT NULL, state TEXT NOT NULL,"
            " status INTEGER, body TEXT, owner TEXT, accepted_at REAL NOT NULL,"
            " expires REAL, completed TEXT)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS deliveries_state ON deliveries (state)")
        # The writer thread's own connection: it polls for the write lock (`LOCK_POLL`).
        self._writes = open_shared(self.path, synchronous="FULL")
        self._writes.execute("PRAGMA busy_timeout=0")
        self._synchronous = "FULL"
        self._queue: list[_Write] = []
        self._wake = threading.Condition(threading.Lock())
        self._writer: threading.Thread | None = None
        self._closing = False
        self._stopped = False  # the writer has written everything and left
        self._awaited = False  # something queued has a waiter (a claim, a read, a flush)
        # The event loop that claims, and its thread: moves it queues arm a timer on it
        # instead of waking the writer (`_wake_for_moves`).
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._kick_armed = False
        self.commits = 0  # transactions the writer committed (claims share them under load)

    # ------------------------------------------------------------------ the writer

    def _submit(self, write: _Write) -> None:
        with self._wake:
            if self._stopped or (self._closing and self._writer is None):
                raise RuntimeError("the serve store is closed")
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_forever, name="serve-store", daemon=True)
                self._writer.start()
            self._queue.append(write)
            if write.future is not None:
                self._awaited = True
                self._wake.notify()  # someone waits: no lingering
            elif len(self._queue) == 1:
                self._wake_for_moves()

    def _wake_for_moves(self) -> None:
        """The first move queued while the writer idles: have it written within `MOVES_LINGER`.

        From the event loop that claims (the usual caller), a timer on that loop wakes the
        writer when the linger is over, unless a claim (which wakes it at once) has taken
        the moves along by then: under load that is most of the time, and waking a thread
        is a system call the event loop pays. From another thread, the writer is woken now
        and lingers itself. Called with `_wake` held.
        """
        loop = self._loop
        if loop is not None and threading.get_ident() == self._loop_thread and loop.is_running():
            if not self._kick_armed:
                self._kick_armed = True
                loop.call_later(MOVES_LINGER, self._kick)
        else:
            self._wake.notify()

    def _kick(self) -> None:
        """On the loop, `MOVES_LINGER` after a move found the writer idle: write what waits."""
        with self._wake:
            self._kick_armed = False
            if self._queue:
                self._awaited = True  # lingered already, on the loop: no second linger
                self._wake.notify()

    async def _call(
        self,
        work: Work,
        *,
        durable: bool,
        on_cancelled: Callable[[Any], None] | None = None,
        key: str | None = None,
        kind: str | None = None,
        row: tuple[Any, ...] = (),
    ) -> Any:
        """Queue `work` and wait until it is committed (with every write queued before it)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            with self._wake:
                self._loop, self._loop_thread = loop, threading.get_ident()
                self._kick_armed = False  # a timer armed on another loop may never fire
        future: asyncio.Future[Any] = loop.create_future()
        self._submit(_Write(work, durable, loop, future, on_cancelled, key, kind, row))
        return await future

    def _queue_move(self, work: Work, key: str, kind: str | None = None, row: tuple[Any, ...] = ()) -> None:
        """Queue a move after a claim: written with the next batch, nobody waits for it."""
        self._submit(_Write(work, durable=False, key=key, kind=kind, row=row))

    def _write_forever(self) -> None:
        while True:
            with self._wake:
                while not self._queue and not self._closing:
                    self._wake.wait()
                if not self._queue:
                    self._stopped = True
                    return
                if not self._awaited and not self._closing:
                    # Moves alone: wait a little for a claim to share their commit.
                    self._wake.wait(MOVES_LINGER)
                batch, self._queue = self._queue, []
                self._awaited = False
            outcomes = self._commit(batch)
            self._settle(batch, outcomes)

    def _commit(self, batch: list[_Write]) -> list[tuple[Any, BaseException | None]]:
        """Write `batch` in one transaction; when one piece fails, the others without it.

        The batch's writes share statements (`_write_batch`): a batch of 60 claims and moves
        is a handful of statements instead of 60, and each statement hands the GIL to the
        busy event loop and waits to get it back. Should a shared statement fail, the batch
        is written again one write at a time (`_commit_each`), which finds the one at fault.
        """
        self._use_synchronous("FULL" if any(w.durable for w in batch) else "NORMAL")
        writing = False
        try:
            with write_transaction(self._writes, poll=LOCK_POLL) as db:
                writing = True
                values = self._write_batch(db, batch)
                writing = False
            self.commits += 1
            return [(value, None) for value in values]
        except Exception as exc:
            if not writing:  # the lock or the commit: nothing was written
                return [(None, exc)] * len(batch)
        return self._commit_each(batch)

    def _write_batch(self, db: sqlite3.Connection, batch: list[_Write]) -> list[Any]:
        """Each write's value, the batch written with as few statements as it allows.

        A write without a key (a read, a flush) comes after every write queued before it
        and before every write queued after it. Between two such, the writes of a key that
        no other write of the stretch touches commute with all the others: the claims of
        those keys not in the table yet are one `INSERT` (the claim of a key already there
        keeps its own statements), the `done`/`answered` moves one `UPDATE`, the
        `finish` moves another. The writes of a key touched twice, and every other move,
        run their own statements, in the order they were queued.
        """
        values: list[Any] = [None] * len(batch)
        start = 0
        for index, write in enumerate(batch):
            if write.key is None:
                self._write_stretch(db, batch, range(start, index), values)
                values[index] = write.work(db)
                start = index + 1
        self._write_stretch(db, batch, range(start, len(batch)), values)
        return values

    def _write_stretch(
        self, db: sqlite3.Connection, batch: list[_Write], indexes: range, values: list[Any]
    ) -> None:
        touched: dict[str | None, int] = {}
        for index in indexes:
            touched[batch[index].key] = touched.get(batch[index].key, 0) + 1
        by_kind: dict[str, list[int]] = {"claim": [], "answer": [], "finish": []}
        alone: list[int] = []
        for index in indexes:
            write = batch[index]
            if write.kind in by_kind and touched[write.key] == 1:
                by_kind[write.kind].append(index)
            else:
                alone.append(index)
        for kind, indexes_of_kind in by_kind.items():
            if len(indexes_of_kind) == 1:  # its own statement is as few (and a claim's one fewer)
                alone.extend(indexes_of_kind)
                by_kind[kind] = []
        claims = by_kind["claim"]
        if claims:
            there = _existing(db, [batch[i].key for i in claims])
            if there:
                alone.extend(i for i in claims if batch[i].key in there)
                claims = [i for i in claims if batch[i].key not in there]
            now = time.time()
            for chunk in _chunks(claims):
                rows = [(*batch[i].row, OWNER, now) for i in chunk]
                inserted = db.execute(
                    "INSERT INTO deliveries (key, flow, request, event, headers, state, owner, accepted_at)"
                    " SELECT column1, column2, column3, column4, column5, 'running', column6, column7"
                    f" FROM (VALUES {_rows(rows, 7)}) WHERE column1 IS NOT NULL ON CONFLICT (key) DO NOTHING",
                    _padded(rows, 7),
                )
                if inserted.rowcount != len(chunk):  # under the write lock: cannot happen
                    raise RuntimeError("a claimed key appeared during its batch")
                for i in chunk:
                    values[i] = Run()
        # a move of many keys is one UPDATE from a VALUES list: (kind, columns set, states it moves from)
        for kind, columns, states in _MOVES:
            for chunk in _chunks(by_kind[kind]):
                rows = [batch[i].row for i in chunk]
                assigned = ", ".join(f"{name} = v.column{n}" for n, name in enumerate(columns, start=2))
                db.execute(
                    f"UPDATE deliveries SET {assigned} FROM (VALUES {_rows(rows, len(columns) + 1)}) AS v"
                    " WHERE deliveries.key = v.column1 AND deliveries.owner = ?"
                    f" AND deliveries.state IN ({states})",
                    [*_padded(rows, len(columns) + 1), OWNER],
                )
        for index in sorted(alone):
            values[index] = batch[index].work(db)

    def _commit_each(self, batch: list[_Write]) -> list[tuple[Any, BaseException | None]]:
        """`batch` one statement set per write, in one transaction; when one fails, the others without it."""
        failed: _Write | None = None
        try:
            with write_transaction(self._writes, poll=LOCK_POLL) as db:
                values = []
                for write in batch:
                    failed = write
                    values.append(write.work(db))
                failed = None
            self.commits += 1
            return [(value, None) for value in values]
        except Exception as exc:
            if failed is None or len(batch) == 1:  # the lock or the commit: nothing was written
                return [(None, exc)] * len(batch)
            error: Exception = exc
        outcomes: list[tuple[Any, BaseException | None]] = []
        for write in batch:
            if write is failed:
                outcomes.append((None, error))
                continue
            try:
                with write_transaction(self._writes, poll=LOCK_POLL) as db:
                    outcomes.append((write.work(db), None))
                self.commits += 1
            except Exception as exc:
                outcomes.append((None, exc))
        return outcomes

    def _use_synchronous(self, level: Literal["FULL", "NORMAL"]) -> None:
        if self._synchronous != level:
            self._writes.execute(f"PRAGMA synchronous={level}")
            self._synchronous = level

    def _settle(self, batch: list[_Write], outcomes: list[tuple[Any, BaseException | None]]) -> None:
        """Hand each waiter its outcome on its own loop: one wake-up per loop per batch."""
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Write, Any, BaseException | None]]] = {}
        for write, (value, error) in zip(batch, outcomes, strict=True):
            if write.loop is not None:
                by_loop.setdefault(write.loop, []).append((write, value, error))
        for loop, settled in by_loop.items():
            try:
                loop.call_soon_threadsafe(_resolve, settled)
            except RuntimeError:  # the loop is closed: nobody waits any more
                for write, value, error in settled:
                    if error is None and write.on_cancelled is not None:
                        _undo(write, value)

    async def flush(self) -> None:
        """Wait until every write queued so far is committed."""
        await self._call(lambda db: None, durable=False)

    # ------------------------------------------------------------------ deliveries

    async def claim(
        self, key: str, flow: str, request: str, event: dict[str, Any], headers: dict[str, str]
    ) -> Run | Replay | Wait | Conflict:
        """Take `key` for this process, or say what to do instead (replay, wait, conflict).

        Returns once the claim is on disk (a group commit with the claims queued beside it).
        """
        event_text = _EVENT_JSON(event)
        headers_text = json.dumps(headers)

        def work(db: sqlite3.Connection) -> Run | Replay | Wait | Conflict:
            now = time.time()
            # A new key (the usual case) is one statement: every statement on the writer
            # thread gives the GIL back to the busy event loop and waits to get it again.
            inserted = db.execute(
                "INSERT INTO deliveries (key, flow, request, event, headers, state, owner, accepted_at)"
                " VALUES (?, ?, ?, ?, ?, 'running', ?, ?) ON CONFLICT (key) DO NOTHING",
                (key, flow, request, event_text, headers_text, OWNER, now),
            )
            if inserted.rowcount == 1:
                return Run()
            stored, state, status, body, owner, expires = db.execute(
                "SELECT request, state, status, body, owner, expires FROM deliveries WHERE key = ?", (key,)
            ).fetchone()
            live = state in ("running", "answered", "dead") or (expires is not None and expires > now)
            if live and stored != request:
                return Conflict()
            if state == "running" and owner_alive(owner):
                return Wait()
            fresh = expires is None or expires > now
            if fresh and (state == "done" or (state == "answered" and owner_alive(owner))):
                return Replay(status, json.loads(body))
            recovered = state in ("running", "answered", "dead")
            answered = None
            if state in ("answered", "dead") and status is not None:
                answered = (status, json.loads(body))
            db.execute(
                "INSERT OR REPLACE INTO deliveries (key, flow, request, event, headers, state, status,"
                " body, owner, accepted_at, expires, completed)"
                " VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, NULL, NULL)",
                (
                    key, flow, request, event_text, headers_text,
                    None if answered is None else answered[0],
                    None if answered is None else json.dumps(answered[1]),
                    OWNER, now,
                ),
            )  # fmt: skip
            return Run(recovered, answered)

        def abandoned(claim: Any) -> None:
            # The delivery that claimed it is gone before it heard back: nothing ran.
            if isinstance(claim, Run):
                if claim.recovered:
                    self.disown(key)  # an accepted event: left for the next delivery or restart
                else:
                    self.release(key)

        claim: Run | Replay | Wait | Conflict = await self._call(
            work, durable=True, on_cancelled=abandoned, key=key, kind="claim",
            row=(key, flow, request, event_text, headers_text),
        )  # fmt: skip
        return claim

    def answer(
        self, key: str, status: int, body: Any, window: float, *, completed: list[str] | None = None
    ) -> None:
        """Record the response sent for `key` (kept `window` seconds for duplicates).

        With `completed` (the steps, when every one has already ended well) the delivery
        is `done` at once: one move instead of `answer` then `finish`.
        """
        params = (
            "answered" if completed is None else "done",
            status,
            _BODY_JSON(body),
            time.time() + window,
            None if completed is None else json.dumps(completed),
            key,
            OWNER,
        )
        self._queue_move(
            lambda db: db.execute(
                "UPDATE deliveries SET state = ?, status = ?, body = ?, expires = ?, completed = ?"
                " WHERE key = ? AND owner = ? AND state = 'running'",
                params,
            ),
            key,
            "answer",
            (key, *params[:5]),
        )

    def release(self, key: str) -> None:
        """Forget a running key this process holds (its response was not a success)."""
        self._queue_move(
            lambda db: db.execute(
                "DELETE FROM deliveries WHERE key = ? AND owner = ? AND state = 'running'", (key, OWNER)
            ),
            key,
        )

    def disown(self, key: str) -> None:
        """Give up a key this process holds without forgetting it: as if this process had crashed."""
        self._queue_move(
            lambda db: db.execute(
                "UPDATE deliveries SET owner = NULL WHERE key = ? AND owner = ?", (key, OWNER)
            ),
            key,
        )

    def finish(self, key: str, state: str, completed: list[str]) -> None:
        """Mark a delivery `done` or `dead`, with the steps that completed."""
        params = (state, json.dumps(completed), key, OWNER)
        self._queue_move(
            lambda db: db.execute(
                "UPDATE deliveries SET state = ?, completed = ? WHERE key = ? AND owner = ?"
                " AND state IN ('running', 'answered')",
                params,
            ),
            key,
            "finish",
            (key, state, params[1]),
        )

    async def state(self, key: str) -> str | None:
        """The state of `key` once every write queued before this call is committed."""

        def work(db: sqlite3.Connection) -> str | None:
            row = db.execute("SELECT state FROM deliveries WHERE key = ?", (key,)).fetchone()
            return None if row is None else str(row[0])

        state: str | None = await self._call(work, durable=False)
        return state

    def event_of(self, key: str) -> dict[str, Any] | None:
        """The whole event accepted under `key` (redacted fields included), for replay."""
        with self._lock:
            row = self._db.execute("SELECT event FROM deliveries WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])  # type: ignore[no-any-return]

    def adopt(self, flows: set[str]) -> list[Pending]:
        """Take over every unfinished delivery of `flows` whose owner process is gone (at start)."""
        with self._lock, write_transaction(self._db) as db:
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

    def counts(self) -> dict[str, int]:
        """Deliveries by state, as committed (moves still queued are not counted)."""
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
        """Write what is queued, stop the writer, close the file."""
        with self._wake:
            self._closing = True
            self._wake.notify()
            writer = self._writer
        if writer is not None:
            writer.join()
        self._writes.close()
        with self._lock:
            self._db.close()


_CHUNK = 256
"""Rows per shared statement at most (7 values a claim: far below SQLite's 32,766 variables)."""


# The shared statements of a batch's moves: what each sets, and from which states.
_MOVES = (
    ("answer", ("state", "status", "body", "expires", "completed"), "'running'"),
    ("finish", ("state", "completed"), "'running', 'answered'"),
)


def _chunks(indexes: list[int]) -> list[list[int]]:
    return [indexes[i : i + _CHUNK] for i in range(0, len(indexes), _CHUNK)]


def _size(count: int) -> int:
    """The rows a shared statement is written for: `count` rounded up to a power of two.

    The statement's text depends on its rows; the connection keeps 128 prepared statements
    (Python's default) and preparing one costs more than its padding. Powers of two up to
    `_CHUNK` make at most 8 texts per statement.
    """
    return 1 << (count - 1).bit_length()


def _rows(rows: list[tuple[Any, ...]], width: int) -> str:
    """`(?, …), …` for `rows` padded to `_size` (the padding's key is NULL: it matches no row)."""
    return ", ".join(["(" + ", ".join(["?"] * width) + ")"] * _size(len(rows)))


def _padded(rows: list[tuple[Any, ...]], width: int) -> list[Any]:
    values = [value for row in rows for value in row]
    values.extend([None] * (width * (_size(len(rows)) - len(rows))))
    return values


def _existing(db: sqlite3.Connection, keys: list[str | None]) -> set[str]:
    """Which of `keys` have a row already (usually none: one statement, no row)."""
    there: set[str] = set()
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i : i + _CHUNK]
        chunk += [chunk[0]] * (_size(len(chunk)) - len(chunk))  # the same key again: no other row
        rows = db.execute(
            "SELECT key FROM deliveries WHERE key IN (" + ", ".join(["?"] * len(chunk)) + ")", chunk
        ).fetchall()
        there.update(row[0] for row in rows)
    return there


def _resolve(settled: list[tuple[_Write, Any, BaseException | None]]) -> None:
    """On the waiters' loop: give each future its outcome (a waiter that left gets it undone)."""
    for write, value, error in settled:
        future = write.future
        if future is None:
            continue
        if future.cancelled():
            if error is None and write.on_cancelled is not None:
                _undo(write, value)
        elif error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)


def _undo(write: _Write, value: Any) -> None:
    """Undo what a write took for a waiter that left (nothing to undo once the store is closed)."""
    assert write.on_cancelled is not None
    with contextlib.suppress(RuntimeError):
        write.on_cancelled(value)


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
