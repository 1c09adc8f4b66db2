"""Processes opening one new SQLite store at the same moment (serve's workers, a restart with
a run in flight) all get it: the race to switch the file to WAL is waited out, not an error."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

from copilot.run.resilience.idempotency import open_shared


def _open_at_once(args: tuple[str, object]) -> str:
    path, barrier = args
    barrier.wait()  # type: ignore[attr-defined]
    try:
        db = open_shared(path, synchronous="NORMAL")
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
        db.close()
        return str(mode)
    except Exception as exc:  # reported, so the assertion names what went wrong
        return f"{type(exc).__name__}: {exc}"


def test_processes_opening_a_new_store_at_once_all_get_it_in_wal(tmp_path: Path) -> None:
    outcomes: list[str] = []
    with mp.Manager() as manager, mp.Pool(8) as pool:
        for round_ in range(10):
            barrier = manager.Barrier(8)
            path = str(tmp_path / f"store-{round_}.db")
            outcomes += pool.map(_open_at_once, [(path, barrier)] * 8)
    assert set(outcomes) == {"wal"}, [o for o in outcomes if o != "wal"][:3]
