"""The serve store's commit and claim latency, alone: `ServeStore` driven without HTTP or engine.

`bench_serve_cpu.py` runs the whole app, whose latencies on a shared 2-core machine follow
the CPU the other jobs leave it. This one drives only the store, as the server does: from
`--concurrency` tasks on uvloop (`sys.setswitchinterval` as the server sets it), each
delivery is claimed (the claim returns once its batch is committed with
`synchronous=FULL`), then answered `done` (a move queued without
waiting), with `--work` µs of CPU on the loop between the two (the steps). It prints the
distribution (p50, p99, max, in ms) of each commit of the writer thread
(`ServeStore._commit`, wrapped here, so an older tree is measured the same way) and of
each claim as its caller waits for it, and the WAL file's size at the end. `--split`
times each commit in three parts (the happy path of `_commit`, re-timed here): `begin`
(the write lock, `BEGIN IMMEDIATE`), `statements` (`_write_batch`: a few shared by the
batch's writes; in an older tree one per write; each gives the GIL back to the busy loop
and waits up to the switch interval to get it again),
`fsync` (`COMMIT`, with `synchronous=FULL` for a batch with a claim), and `batch` (writes
per batch, printed in the "ms" fields).

`--processes 2` runs two such processes on one store at once, as `--workers 2` shares
it (the worst p99 and max of the two, their summed rate). `--trees A B …` runs each
tree (a `PYTHONPATH`, e.g. a `git archive` of HEAD) in a child
process, alternating for `--rounds` rounds, and prints one line per run and the medians:

    git archive HEAD | tar -x -C /tmp/before
    .venv/bin/python bench/bench_serve_store.py --trees /tmp/before . --rounds 4
    .venv/bin/python bench/bench_serve_store.py --trees . --set GIL_SWITCH_INTERVAL=0.0001  # a variant
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def time_commits(store_class: Any, commits: list[float]) -> Any:
    """Wrap the store's `_commit` so each commit's seconds land in `commits` (also used by
    bench_serve_cpu; the wrap works the same on an older tree); returns the plain `_commit`."""
    plain_commit = store_class._commit

    def timed_commit(self: Any, batch: list[Any]) -> Any:
        began = time.perf_counter()
        try:
            return plain_commit(self, batch)
        finally:
            commits.append(time.perf_counter() - began)

    store_class._commit = timed_commit
    return plain_commit


def quantiles(seconds: list[float]) -> dict[str, float]:
    """p50, p99 and max of `seconds`, in ms."""
    if not seconds:
        return {}
    ordered = sorted(seconds)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3

    return {"p50_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": ordered[-1] * 1e3}


async def drive(args: argparse.Namespace, path: Path) -> dict[str, Any]:
    import copilot.serve.store as module
    from copilot.serve.store import Run, ServeStore

    for setting in args.set:  # e.g. GIL_SWITCH_INTERVAL=0.0001: the store's constants, for a variant
        name, _, value = setting.partition("=")
        setattr(module, name, type(getattr(module, name))(value))
    sys.setswitchinterval(module.GIL_SWITCH_INTERVAL)  # as the server sets it
    parts: dict[str, list[float]] = {"begin": [], "statements": [], "fsync": [], "batch": []}
    if args.split:
        from copilot.run.resilience.idempotency import begin_polling

        def split_commit(self: ServeStore, batch: list[Any]) -> Any:
            # the happy path of `ServeStore._commit`, timed in three parts (a failure raises here)
            began = time.perf_counter()
            self._use_synchronous("FULL" if any(w.durable for w in batch) else "NORMAL")
            begin_polling(self._writes, module.LOCK_POLL)
            locked = time.perf_counter()
            if hasattr(self, "_write_batch"):  # the batch's writes sharing statements
                values = self._write_batch(self._writes, batch)
            else:  # an older tree: one statement set per write
                values = [write.work(self._writes) for write in batch]
            written = time.perf_counter()
            self._writes.execute("COMMIT")
            self.commits += 1
            done = time.perf_counter()
            for name, value in (
                ("begin", locked - began),
                ("statements", written - locked),
                ("fsync", done - written),
            ):
                parts[name].append(value)
            parts["batch"].append(len(batch) / 1e3)  # printed in "ms": writes per batch
            return [(value, None) for value in values]  # `timed_commit` below times the whole

        ServeStore._commit = split_commit  # type: ignore[method-assign]
    commits: list[float] = []
    time_commits(ServeStore, commits)
    store = ServeStore(path)
    event = {"id": "e", "text": "my order has not arrived " * 8}
    headers = {"webhook-id": "x", "webhook-timestamp": "0"}
    claims: list[float] = []
    spin = args.work / 1e6
    total = args.warmup + args.n
    count = 0

    async def worker() -> None:
        nonlocal count
        while count < total:
            count += 1
            measured = count > args.warmup
            key = f"msg_{uuid.uuid4().hex}"
            began = time.perf_counter()
            claim = await store.claim(key, "bench", "hash", event, headers)
            if measured:
                claims.append(time.perf_counter() - began)
            assert isinstance(claim, Run)
            until = time.perf_counter() + spin
            while time.perf_counter() < until:
                pass
            await asyncio.sleep(0)
            store.answer(key, 200, {"id": key, "ok": True}, 3600.0, completed=["a", "b", "c"])

    began, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    await store.flush()
    elapsed = time.perf_counter() - began
    cpu_us = (time.process_time() - cpu) / total * 1e6
    wal = Path(f"{path}-wal")
    wal_mb = wal.stat().st_size / 2**20 if wal.exists() else 0.0
    store.close()
    skip = len(commits) * args.warmup // total
    return {
        "per_s": total / elapsed,
        "cpu_us": cpu_us,
        "commits": len(commits) - skip,
        "wal_mb": wal_mb,
        **{f"commit_{q}": v for q, v in quantiles(commits[skip:]).items()},
        **{f"claim_{q}": v for q, v in quantiles(claims).items()},
        **{f"{name}_{q}": v for name, times in parts.items() for q, v in quantiles(times).items()},
    }


def child(args: argparse.Namespace) -> None:
    import uvloop

    import copilot
    from copilot.serve.store import ServeStore

    if args.store:  # one of `--processes` sharing a store
        result = uvloop.run(drive(args, Path(args.store)))
        result["copilot"] = str(Path(copilot.__file__ or "").parents[1])
        print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}))
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-serve-store-", dir=args.state_root))
    try:
        if args.processes > 1:
            command = [sys.executable, __file__, "-n", str(args.n), "--warmup", str(args.warmup)]
            command += ["--concurrency", str(args.concurrency), "--work", str(args.work)]
            command += ["--store", str(tmp / "serve.sqlite")] + [f"--set={v}" for v in args.set]
            ServeStore(tmp / "serve.sqlite").close()  # the file and its table, before they race
            procs = [
                subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(args.processes)
            ]
            lines = [json.loads(proc.communicate()[0].strip().splitlines()[-1]) for proc in procs]
            keys = {k for line in lines for k, v in line.items() if isinstance(v, float)}
            result = {k: max(line[k] for line in lines if k in line) for k in sorted(keys)}
            result["per_s"] = sum(line["per_s"] for line in lines)
        else:
            result = uvloop.run(drive(args, tmp / "serve.sqlite"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["copilot"] = str(Path(copilot.__file__ or "").parents[1])
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}))


def parent(args: argparse.Namespace) -> None:
    runs: dict[str, list[dict[str, Any]]] = {tree: [] for tree in args.trees}
    for round_ in range(args.rounds):
        order = args.trees if round_ % 2 == 0 else list(reversed(args.trees))
        for tree in order:
            command = [sys.executable, __file__, "-n", str(args.n), "--warmup", str(args.warmup)]
            command += ["--concurrency", str(args.concurrency), "--work", str(args.work)]
            command += (
                ["--processes", str(args.processes)]
                + (["--split"] if args.split else [])
                + [f"--set={v}" for v in args.set]
            )
            if args.state_root:
                command += ["--state-root", args.state_root]
            env = {**os.environ, "PYTHONPATH": str(Path(tree).resolve())}
            out = subprocess.run(command, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
            result = json.loads(out.strip().splitlines()[-1])
            runs[tree].append(result)
            print(json.dumps(result), flush=True)
    for tree, results in runs.items():
        keys = [k for k, v in results[0].items() if isinstance(v, (int, float))]
        medians = {
            k: round(statistics.median(r[k] for r in results if r.get(k) is not None), 2) for k in keys
        }
        print(f"median {tree}: {json.dumps(medians)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("-n", type=int, default=20000, help="measured deliveries")
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--work", type=float, default=400.0, help="µs of CPU on the loop per delivery")
    parser.add_argument("--state-root", default=None, help="where the temporary store goes")
    parser.add_argument(
        "--processes", type=int, default=1, help="processes sharing one store (worst of each)"
    )
    parser.add_argument("--store", default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--set", action="append", default=[], help="NAME=VALUE: a constant of copilot.serve.store"
    )
    parser.add_argument("--split", action="store_true", help="time each commit's lock, statements and COMMIT")
    parser.add_argument("--trees", nargs="*", help="run each tree (PYTHONPATH) in a child, alternating")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.trees:
        parent(args)
    else:
        child(args)


if __name__ == "__main__":
    main()
