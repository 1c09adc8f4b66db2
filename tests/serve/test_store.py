"""The serve store's group commit: claims share transactions and a crash still loses none.

A claim returns only once it is committed with `synchronous=FULL`; the moves after it
(answered, done, released) are queued and written later. A process killed while its
moves wait leaves every claimed event in the file, unfinished, for `adopt` on restart.
Another connection holding the write lock (`BEGIN IMMEDIATE`) is how these tests stop the
writer at a chosen moment: it is what another worker process does.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

from copilot.serve.store import OWNER, Replay, Run, ServeStore, Wait

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Hold the database's write lock from another connection, as another worker would."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def claim(store: ServeStore, key: str) -> object:
    event = {"id": key}
    return store.claim(key, "flow", f"hash-{key}", event, {"webhook-id": key})


def test_concurrent_claims_share_commits_and_each_key_runs_once(tmp_path):
    store = ServeStore(tmp_path / "serve.sqlite")

    async def burst() -> list[object]:
        keys = [f"k{i}" for i in range(50)] + ["dup"] * 10
        return await asyncio.gather(*(claim(store, key) for key in keys))

    try:
        outcomes = asyncio.run(burst())
        assert all(isinstance(o, Run) and not o.recovered for o in outcomes[:50])
        duplicates = outcomes[50:]
        assert sum(isinstance(o, Run) for o in duplicates) == 1  # the others wait for it
        assert sum(isinstance(o, Wait) for o in duplicates) == 9
        assert store.commits < 20  # 60 claims, a few transactions
        assert store.counts() == {"running": 51}

        async def answer_then_duplicate() -> object:
            store.answer("k0", 200, {"ok": True}, window=60.0)  # queued, not awaited
            return await claim(store, "k0")  # written after the answer: it sees it

        replay = asyncio.run(answer_then_duplicate())
        assert replay == Replay(200, {"ok": True})
    finally:
        store.close()


def mixed_batch(path: Path, *, one_by_one: bool) -> tuple[list[object], int, list[tuple], int]:
    """One batch of every kind of write, as `_write_batch` shares statements among them (or,
    `one_by_one`, each write's own statements, as before): outcomes, commits, the rows, and
    the statements the batch took."""
    store = ServeStore(path)
    if one_by_one:
        store._write_batch = lambda db, batch: [write.work(db) for write in batch]  # type: ignore[method-assign]

    async def run() -> tuple[list[object], int]:
        for key in ("a", "b", "c", "d", "e", "f", "g", *(f"p{i}" for i in range(10))):
            assert isinstance(await claim(store, key), Run)
        store.answer("a", 200, {"ok": "a"}, window=60.0, completed=["s"])  # done
        store.answer("b", 200, {"ok": "b"}, window=60.0)  # answered
        await store.flush()
        outcomes: list[asyncio.Future[object]] = []

        def queue(awaitable: object) -> None:
            outcomes.append(asyncio.ensure_future(awaitable))  # type: ignore[arg-type]

        with write_lock(path):
            queue(store.flush())  # the writer takes this one and waits for the lock
            await asyncio.sleep(0.05)
            commits = store.commits
            store._writes.set_trace_callback(statements.append)
            for key in ("n0", "n1", "a", "dup", "n2", "dup", "n3"):  # new, done, twice in the batch
                queue(claim(store, key))
                await asyncio.sleep(0)  # queued in this order
            store.answer("c", 200, {"ok": "c"}, window=60.0, completed=["s"])
            store.answer("d", 201, {"ok": "d"}, window=60.0)
            store.answer("n0", 200, {"ok": "n0"}, window=60.0)  # not claimed yet when queued: no row
            store.finish("b", "done", ["s", "t"])
            store.finish("e", "dead", [])
            store.release("f")
            store.disown("g")
            for i in range(10):  # the usual load: new keys claimed, others answered done
                queue(claim(store, f"m{i}"))
                await asyncio.sleep(0)
                store.answer(f"p{i}", 200, {"ok": i}, window=60.0, completed=["s"])
            queue(store.state("c"))  # a read: after every write before it
            queue(claim(store, "c"))  # after the read: replays c's answer
            queue(claim(store, "f"))  # released above: a new claim
            queue(claim(store, "n4"))
            queue(claim(store, "n5"))
            store.answer("n1", 200, {"ok": "n1"}, window=60.0)  # n1's claim is in this batch
            await asyncio.sleep(0)
        done = await asyncio.gather(*outcomes)
        return list(done), store.commits - commits

    statements: list[str] = []
    try:
        outcomes, commits = asyncio.run(run())
        rows = store._db.execute(
            "SELECT key, flow, request, event, headers, state, status, body, owner, completed"
            " FROM deliveries ORDER BY key"
        ).fetchall()
    finally:
        store.close()
    return outcomes, commits, rows, sum("deliveries" in text for text in statements)


def test_a_batch_shares_statements_and_writes_what_one_statement_per_write_wrote(tmp_path):
    """New claims, a claim of a key already there, a key claimed twice, moves of every kind
    and a read between them, in one batch: the same outcomes and rows as when each write
    ran its own statements, in one transaction."""
    *shared, shared_statements = mixed_batch(tmp_path / "shared.sqlite", one_by_one=False)
    *alone, alone_statements = mixed_batch(tmp_path / "alone.sqlite", one_by_one=True)
    assert shared == alone
    assert shared_statements <= alone_statements - 20  # ten claims one INSERT, ten answers one UPDATE
    outcomes, commits, rows = shared
    assert commits == 2  # the flush that waited for the lock, then all the rest
    assert outcomes[1:] == [
        Run(), Run(), Replay(200, {"ok": "a"}), Run(), Run(), Wait(), Run(), *[Run()] * 10,
        "done", Replay(200, {"ok": "c"}), Run(), Run(), Run(),
    ]  # fmt: skip
    states = {row[0]: (row[5], row[6], row[8]) for row in rows}
    assert states["n1"] == ("answered", 200, OWNER)
    assert states["d"] == ("answered", 201, OWNER) and states["b"][0] == "done" and states["e"][0] == "dead"
    assert states["g"] == ("running", None, None) and states["f"] == ("running", None, OWNER)
    assert all(states[f"p{i}"] == ("done", 200, OWNER) and states[f"m{i}"][0] == "running" for i in range(10))


def test_moves_alone_are_written_soon_from_the_loop_and_from_outside_it(tmp_path):
    """A move that finds the writer idle: a timer on the claiming loop wakes it after the
    linger (no system call from the loop per move); from outside a running loop, at once."""
    import time

    store = ServeStore(tmp_path / "serve.sqlite")

    async def answer_alone() -> bool:
        assert isinstance(await claim(store, "a"), Run)
        await asyncio.sleep(0.05)  # the claim's commit is over: the writer idles
        store.answer("a", 200, {"ok": True}, window=60.0)  # no claim follows to take it along
        for _ in range(200):
            await asyncio.sleep(0.01)
            if store.counts() == {"answered": 1}:
                return True
        return False

    try:
        assert asyncio.run(answer_alone())
        store.finish("a", "done", ["step"])  # no running loop here
        deadline = time.monotonic() + 5
        while store.counts() != {"done": 1} and time.monotonic() < deadline:
            time.sleep(0.01)
        assert store.counts() == {"done": 1}
    finally:
        store.close()


def test_a_claim_whose_waiter_left_is_released(tmp_path):
    path = tmp_path / "serve.sqlite"
    store = ServeStore(path)

    async def cancelled_claim() -> list[str | None]:
        with write_lock(path):  # the writer cannot commit until the waiter has left
            task = asyncio.ensure_future(claim(store, "gone"))
            await asyncio.sleep(0.05)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        states = []  # each look is queued after the claim: None can only be its release
        for _ in range(100):
            states.append(await store.state("gone"))
            if states[-1] is None:
                break
            await asyncio.sleep(0.05)
        return states

    try:
        states = asyncio.run(cancelled_claim())
        assert states[-1] is None and set(states[:-1]) <= {"running"}  # released: nothing left
    finally:
        store.close()


CHILD = textwrap.dedent(
    """
    import asyncio, os, signal, sqlite3, sys
    from copilot.serve.store import ServeStore

    path = sys.argv[1]
    store = ServeStore(path)

    async def main():
        keys = [f"crash-{i}" for i in range(20)]
        claims = await asyncio.gather(
            *(store.claim(k, "flow", "h", {"id": k, "n": i}, {"webhook-id": k}) for i, k in enumerate(keys))
        )
        for key in keys:
            print(key, flush=True)  # the 2xx a server would now send
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # the writer cannot write the moves below
        for key in keys:
            store.answer(key, 200, {"ok": key}, window=60.0)
            store.finish(key, "done", ["a", "b"])
        await asyncio.sleep(0.1)
        os.kill(os.getpid(), signal.SIGKILL)

    asyncio.run(main())
    """
)


def test_a_killed_process_loses_no_claim_and_restart_adopts_every_unfinished_one(tmp_path):
    path = tmp_path / "serve.sqlite"
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    accepted = child.stdout.split()
    assert len(accepted) == 20

    store = ServeStore(path)  # the restarted server
    try:
        assert store.counts() == {"running": 20}  # the queued moves died with the process
        adopted = {pending.key: pending for pending in store.adopt({"flow"})}
        assert set(adopted) == set(accepted)
        assert adopted["crash-3"].event == {"id": "crash-3", "n": 3}
        assert adopted["crash-3"].headers == {"webhook-id": "crash-3"}
        assert adopted["crash-3"].answered is None  # so recovery records its answer again
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        owners = {row[0] for row in db.execute("SELECT owner FROM deliveries")}
    assert owners == {OWNER}  # all taken over by the restarted process
