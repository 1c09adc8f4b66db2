"""CPU per delivery of `flowgen serve`, in-process: the ASGI app called directly, no HTTP.

`bench_serve.py` measures over real HTTP with wrk, where a shared 2-core machine moves the
numbers by tens of percent. This one calls the app of `copilot.serve.app.Server` (the same
3-step flow, signed deliveries, each its own `webhook-id`, the SQLite store) from
`--concurrency` tasks on uvloop, without uvicorn or a socket, and prints the process's CPU
time per delivery (`time.process_time`: the event loop and the store's writer thread),
over `--segments` slices of the run (the minimum is the least disturbed one).

It also prints latency distributions (p50, p99, max in ms, over the measured deliveries):
`latency_*` each delivery's wall time in the app, `claim_*` the part of it spent waiting
for the store's claim (queued, then committed), `commit_*` each transaction of the
store's writer thread (`ServeStore._commit`, wrapped here: the same in an older tree),
`gc_*` the garbage collector's pauses (`gc_full`: how many collected the oldest
generation, and the longest of them); `wal_mb` is the WAL file's size at the end. The
tail of a claim is the commit it waits for, plus the one in flight when it was queued.

`--callgrind` counts instructions instead (valgrind's callgrind: no noise from other jobs,
so a before/after pair is comparable on a busy machine): the script runs itself under
valgrind with `-n 100` and `-n 400` deliveries and prints the difference per delivery
(start-up and warm-up cancel out). libyaml's C parser is disabled there (it is built with
AVX-512, which valgrind does not decode); the flow is loaded once, before the deliveries.

    .venv/bin/python bench/bench_serve_cpu.py -n 4000
    .venv/bin/python bench/bench_serve_cpu.py --callgrind
    PYTHONPATH=/tmp/before .venv/bin/python bench/bench_serve_cpu.py --callgrind   # another tree

The store goes to a temporary directory (`--state-root`, e.g. /dev/shm to take the disk's
fsync out of the picture).
"""

from __future__ import annotations

import os
import sys

if os.environ.get("BENCH_NO_CLIB"):
    sys.modules["ruamel.yaml.cyaml"] = None  # type: ignore[assignment]  # under valgrind (see above)

import argparse
import asyncio
import datetime as dt
import gc
import json
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent


def presign(count: int) -> list[tuple[list[tuple[bytes, bytes]], bytes]]:
    from bench_serve import SECRET  # the same flow, secret and route
    from standardwebhooks import Webhook

    hook = Webhook(SECRET)
    now = dt.datetime.now(dt.UTC)
    deliveries = []
    for n in range(count):
        msg_id = f"msg_{uuid.uuid4().hex}"
        body = json.dumps(
            {"id": f"e{n}", "text": f"my order {n} has not arrived"}, separators=(",", ":")
        ).encode()
        headers = [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"webhook-id", msg_id.encode()),
            (b"webhook-timestamp", str(int(now.timestamp())).encode()),
            (b"webhook-signature", hook.sign(msg_id, now, body).encode()),
        ]
        deliveries.append((headers, body))
    return deliveries


async def call(app: object, path: str, headers: list[tuple[bytes, bytes]], body: bytes) -> int:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": headers, "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    sent = False
    status = 0

    async def receive() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)  # type: ignore[operator]
    return status


async def run(args: argparse.Namespace) -> dict:
    from bench_serve import FLOW, PATH, SECRET

    from copilot.serve.app import ServeOptions, Server
    from copilot.serve.store import ServeStore

    commits: list[float] = []
    pauses: list[float] = []
    from bench_serve_store import time_commits

    plain_commit = time_commits(ServeStore, commits)
    claims: list[float] = []
    plain_claim = ServeStore.claim

    async def timed_claim(self: ServeStore, *args: object) -> object:
        began = time.perf_counter()
        try:
            return await plain_claim(self, *args)  # type: ignore[arg-type]
        finally:
            claims.append(time.perf_counter() - began)

    ServeStore.claim = timed_claim  # type: ignore[assignment,method-assign]
    gc_began = 0.0
    full: list[float] = []  # pauses of the oldest generation's collections

    def on_gc(phase: str, info: dict) -> None:
        nonlocal gc_began
        if phase == "start":
            gc_began = time.perf_counter()
        else:
            pauses.append(time.perf_counter() - gc_began)
            if info.get("generation") == 2:
                full.append(pauses[-1])

    gc.callbacks.append(on_gc)
    tmp = Path(tempfile.mkdtemp(prefix="bench-serve-cpu-", dir=args.state_root))
    try:
        (tmp / "flow.yaml").write_text(FLOW)
        os.environ["BENCH_SERVE_SECRET"] = SECRET
        options = ServeOptions(
            flows=[str(tmp / "flow.yaml")], state_dir=str(tmp / "state"), latency_scale=0.0
        )
        server = Server(options)
        await server.start()
        deliveries = presign(args.warmup + args.n)
        statuses: list[int] = []
        latencies: list[float] = []

        async def batch(items: list) -> None:
            queue = list(reversed(items))

            async def worker() -> None:
                while queue:
                    headers, body = queue.pop()
                    began = time.perf_counter()
                    statuses.append(await call(server.app, PATH, headers, body))
                    latencies.append(time.perf_counter() - began)

            await asyncio.gather(*(worker() for _ in range(args.concurrency)))
            assert server.store is not None
            await server.store.flush()

        await batch(deliveries[: args.warmup])
        del latencies[:], commits[:], pauses[:], claims[:], full[:]
        rest = deliveries[args.warmup :]
        size = max(1, len(rest) // args.segments)
        per: list[float] = []
        start = time.process_time()
        for i in range(0, len(rest), size):
            cpu = time.process_time()
            await batch(rest[i : i + size])
            per.append((time.process_time() - cpu) / len(rest[i : i + size]) * 1e6)
        total = (time.process_time() - start) / max(1, len(rest)) * 1e6
        measured = {
            "latency": list(latencies), "claim": list(claims), "commit": list(commits), "gc": list(pauses)
        }  # fmt: skip
        full_collections = list(full)
        wal = Path(f"{options.store_path}-wal")
        wal_mb = wal.stat().st_size / 2**20 if wal.exists() else 0.0
        await server.stop()
        gc.callbacks.remove(on_gc)
        ServeStore._commit = plain_commit  # type: ignore[method-assign]
        ServeStore.claim = plain_claim  # type: ignore[method-assign]
        bad = sum(1 for s in statuses if s != 200)
        return {
            "cpu_us": total,
            "segment_min_us": min(per),
            "segment_median_us": statistics.median(per),
            "non200": bad,
            "commits": len(measured["commit"]),
            "wal_mb": wal_mb,
            "gc_full": len(full_collections),
            "gc_full_max_ms": max(full_collections, default=0.0) * 1e3,
            **{
                f"{name}_{q}": value
                for name, times in measured.items()
                for q, value in quantiles(times).items()
            },
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def quantiles(seconds: list[float]) -> dict[str, float]:
    """p50, p99 and max of `seconds`, in ms."""
    if not seconds:
        return {}
    ordered = sorted(seconds)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3
    return {"p50_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": ordered[-1] * 1e3}


def callgrind(args: argparse.Namespace) -> None:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")

    def instructions(n: int) -> int:
        with tempfile.NamedTemporaryFile(prefix="callgrind-", suffix=".log") as log:
            env = {**os.environ, "BENCH_NO_CLIB": "1", "PYTHONHASHSEED": "0"}
            command = [
                "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", f"--log-file={log.name}",
                sys.executable, __file__, "-n", str(n), "--warmup", "50", "--segments", "1",
                "--concurrency", str(args.concurrency),
            ]  # fmt: skip
            if args.state_root:
                command += ["--state-root", args.state_root]
            subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
            text = Path(log.name).read_text()
        line = next(raw for raw in text.splitlines() if "I   refs:" in raw)
        return int(line.split(":")[1].replace(",", "").strip())

    low, high = instructions(100), instructions(400)
    print(json.dumps({"instructions_per_delivery": (high - low) // 300, "n100": low, "n400": high}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=4000, help="measured deliveries")
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--segments", type=int, default=10)
    parser.add_argument("--state-root", default=None, help="where the temporary state directory goes")
    parser.add_argument("--callgrind", action="store_true", help="instructions per delivery under valgrind")
    args = parser.parse_args()
    # copilot first, from PYTHONPATH when given: bench_serve puts its own tree on sys.path
    import copilot  # noqa: F401

    sys.path.insert(0, str(HERE))  # bench_serve: the flow and the secret
    if args.callgrind:
        callgrind(args)
        return
    import uvloop

    log = open(os.devnull, "w")  # noqa: SIM115  # the access log, one line per delivery
    sys.stderr, stderr = log, sys.stderr
    try:
        result = uvloop.run(run(args))
    finally:
        sys.stderr = stderr
        log.close()
    result["copilot"] = str(Path(sys.modules["copilot"].__file__ or "").parents[1])
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}))


if __name__ == "__main__":
    main()
