"""The ASGI app of `flowgen serve`: each flow's webhook trigger as a route, on an engine.

The engine is the local one unless the command passes another factory
(`copilot.serve.engines`; `--engine temporal` starts workflows instead of running steps).

A delivery goes through, in order (each step refuses with one status, docs in
`copilot.serve.limits` and `copilot.serve.signatures`): draining (503), content type
(415), body size (413, before the body is read), signature (401, the reason only in the
server log), JSON (400 with line and column), `event_schema` (422 naming the path), the
ingress rate limit (429), the idempotency key (a duplicate gets the first answer with
`Idempotent-Replayed: true`; a concurrent one waits for it; 409 when the key was used for
another event), then a concurrency slot (503 when the queue is full). The key is claimed
in the SQLite store (`copilot.serve.store`) with the whole event before any step runs, so
a 2xx is never sent for an event the store does not hold.

The engine answers as soon as the response is decided (`respond.body`, or
`respond.on_deadline` when the SLA passes); the event keeps its slot until its async
steps end (`EventResult.wait_done`), and only then is it marked done in the store, or
dead-lettered (`copilot.serve.letters`) when a step failed.

Lifecycle: on start the server adopts what crashed processes left unfinished and runs it
again (steps with an `idempotency_key` are replayed from the step store, not called
twice). On SIGTERM it drains: `/readyz` fails, new deliveries get 503, work in flight
finishes up to `drain_timeout`, what is still running is dead-lettered and cancelled, and
only then does uvicorn stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from copilot.errors import FlowgenError
from copilot.run.resilience.idempotency import request_hash  # the store imports it too
from copilot.serve.engines import EngineFactory, local_engine
from copilot.serve.limits import (
    DEFAULT_MAX_BODY,
    Admission,
    Refusal,
    json_content_type,
    parse_event,
    read_body,
)
from copilot.serve.metrics import ServeMetrics
from copilot.serve.signatures import Verifier, verifier_for
from copilot.serve.store import (
    GIL_SWITCH_INTERVAL,
    Conflict,
    Pending,
    Replay,
    Run,
    ServeStore,
    StepStore,
    Wait,
)

RESERVED_PATHS = ("/healthz", "/readyz", "/metrics")
LOOPBACK = ("127.0.0.1", "::1", "localhost")
OPTIONS_ENV = "FLOWGEN_SERVE_OPTIONS"
UNAUTHORIZED = {"error": "unauthorized"}
_WAIT_POLL = 0.02  # seconds between looks at a key another delivery runs


@dataclass
class ServeOptions:
    """Everything `flowgen serve` was asked, JSON-able (each worker process rebuilds from it)."""

    flows: list[str]
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    insecure: bool = False
    state_dir: str = ".flowgen/serve"
    dead_letter: str | None = None
    drain_timeout: float = 30.0
    max_body: int = DEFAULT_MAX_BODY
    queue: int | None = None
    provider: str = "sim"
    latency_scale: float = 1.0
    seed: int = 0
    base_url: str | None = None
    live_http: bool = True

    @property
    def store_path(self) -> Path:
        return Path(self.state_dir) / "serve.sqlite"

    @property
    def dead_letter_path(self) -> Path:
        return Path(self.dead_letter) if self.dead_letter else Path(self.state_dir) / "dead-letter.jsonl"


@dataclass(eq=False)
class Served:
    """One flow on its route: the engine, its verifier, its admission and key template."""

    name: str
    flow_file: str
    flow: Any
    engine: Any
    path: str
    method: str
    verifier: Verifier | None
    admission: Admission
    window: float


@dataclass(eq=False)
class Tracked:
    """An accepted event this process runs, until it is done or dead-lettered."""

    served: Served
    key: str
    event: dict[str, Any]
    delivery_id: str | None
    result: Any = None
    lettered: bool = False
    task: asyncio.Task[None] | None = field(default=None, repr=False)


def flow_files(paths: list[str]) -> list[Path]:
    """The flow files named, a folder standing for the `*.yaml` / `*.yml` files in it."""
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
            if not found:
                raise FlowgenError(f"{name}: no *.yaml flow files in this folder")
            files.extend(found)
        else:
            files.append(path)
    return files


class Server:
    """The flows being served, the store, and the drain; `app` is the Starlette application."""

    def __init__(
        self,
        options: ServeOptions,
        environ: dict[str, str] | None = None,
        engines: EngineFactory = local_engine,
    ) -> None:
        self.options = options
        self.engines = engines  # builds each flow's engine in `start` (copilot.serve.engines)
        self.environ = dict(os.environ if environ is None else environ)
        self.served = self._load(options)
        self.store: ServeStore | None = None
        self.steps: StepStore | None = None
        self.tracked: dict[str, Tracked] = {}
        self.requests = 0  # deliveries being handled right now
        self.draining = False
        self.ready = False
        self._drained: asyncio.Task[None] | None = None
        self.recovering: set[asyncio.Task[None]] = set()
        self.loop: asyncio.AbstractEventLoop | None = None  # the running loop, from `start`
        self.metrics = ServeMetrics()
        self.app = self._build_app()

    # ------------------------------------------------------------------ set-up

    def _load(self, options: ServeOptions) -> list[Served]:
        from copilot.flow.load import load_flow
        from copilot.run.engine_setup import choose_provider, require_sound

        served: list[Served] = []
        routes: dict[str, str] = {}
        names: dict[str, str] = {}
        for file in flow_files(options.flows):
            loaded = load_flow(file)
            require_sound(loaded)
            flow = loaded.flow
            trigger = flow.trigger
            if trigger.type != "webhook":
                raise FlowgenError(
                    f"the trigger is `{trigger.type}`: only a webhook trigger can be served", path=str(file)
                )
            if trigger.path in RESERVED_PATHS:
                raise FlowgenError(f"trigger.path {trigger.path} is reserved by the server", path=str(file))
            if trigger.path in routes:
                raise FlowgenError(
                    f"trigger.path {trigger.path} is already served by {routes[trigger.path]}: "
                    "each flow needs its own path",
                    path=str(file),
                )
            if flow.name in names:
                raise FlowgenError(
                    f"flow name {flow.name!r} is also the name of {names[flow.name]}", path=str(file)
                )
            routes[trigger.path] = str(file)
            names[flow.name] = str(file)
            verifier = verifier_for(trigger.auth, self.environ, where=f"{file}: trigger.auth")
            if verifier is None and options.host not in LOOPBACK and not options.insecure:
                raise FlowgenError(
                    f"the trigger has no `auth`: refusing to serve it on {options.host} "
                    "(a non-loopback address) without --insecure",
                    path=str(file),
                )
            provider = choose_provider(
                options.provider,
                seed=options.seed,
                latency_scale=options.latency_scale,
                base_url=options.base_url,
            )
            served.append(
                Served(
                    name=flow.name,
                    flow_file=str(file.resolve()),
                    flow=flow,
                    engine=(loaded, provider),  # built in `start`, with the step store
                    path=trigger.path,
                    method=trigger.method,
                    verifier=verifier,
                    admission=None,  # type: ignore[arg-type]  # needs the loop: `start`
                    window=trigger.dedupe_window or 24 * 3600.0,
                )
            )
        return served

    def _build_app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.middleware import Middleware
        from starlette.routing import Route

        routes = [
            Route("/healthz", self.healthz, methods=["GET"]),
            Route("/readyz", self.readyz, methods=["GET"]),
            Route("/metrics", self.scrape, methods=["GET"]),
        ]
        for served in self.served:
            routes.append(Route(served.path, self._endpoint(served), methods=[served.method]))
        timing = self.metrics.middleware(route.path for route in routes)
        app = Starlette(routes=routes, middleware=[Middleware(timing)], lifespan=self.lifespan)
        return self._direct_routes(app, timing)

    def _direct_routes(self, app: Any, timing: type) -> Any:
        """`app`, with each flow's own route (path and method) called without Starlette's layers.

        Starlette's routing costs ~10 µs a request (its middleware stack, a regex per route
        tried in turn, the exception-handler wrappers). A delivery's path and method are
        looked up in a dict instead and the endpoint is called as Starlette's route calls
        it, inside the same timing middleware; a failure before the response is Starlette's
        plain 500, re-raised for uvicorn's log, as `ServerErrorMiddleware` does. Everything
        else (probes, another method, a trailing slash, a path with parameters, the
        lifespan) goes to `app` unchanged.
        """
        from starlette.requests import Request
        from starlette.responses import PlainTextResponse

        endpoints = {
            served.path: (served.method.upper(), self._endpoint(served))
            for served in self.served
            if "{" not in served.path
        }

        async def direct(scope: Any, receive: Any, send: Any) -> None:
            endpoint = endpoints[scope["path"]][1]
            try:
                response = await endpoint(Request(scope, receive, send))
            except Exception:
                await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)
                raise
            await response(scope, receive, send)

        timed = timing(direct)

        async def front(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and not scope.get("root_path"):
                route = endpoints.get(scope["path"])
                if route is not None and scope["method"] == route[0]:
                    await timed(scope, receive, send)
                    return
            await app(scope, receive, send)

        front.starlette = app  # type: ignore[attr-defined]  # the whole app, for whoever needs it
        return front

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Any) -> Any:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def start(self) -> None:
        options = self.options
        sys.setswitchinterval(GIL_SWITCH_INTERVAL)  # the store's writer thread (copilot.serve.store)
        self.store = ServeStore(options.store_path)
        self.steps = StepStore(options.store_path, lease=1.0)
        for served in self.served:
            loaded, provider = served.engine
            http = None
            if not options.live_http:
                from copilot.run.providers.sim import SimHttpClient

                http = SimHttpClient(options.seed, latency_scale=options.latency_scale)
            served.engine = self.engines(
                loaded, provider=provider, http=http, idempotency=self.steps, seed=options.seed,
                validate_events=False, environ=self.environ, telemetry=self.metrics.telemetry,
            )  # fmt: skip
            trigger = served.flow.trigger
            served.admission = Admission(trigger.rate_limit, trigger.concurrency, options.queue)
        self._install_sigterm()
        # What start-up built (modules, flows, engines, ~70,000 objects) lives as long as the
        # process: out of the collector's sight, a full collection no longer walks it (~30 ms
        # a time, every few 10,000 deliveries, a stall of every request in flight).
        gc.collect()
        gc.freeze()
        self.ready = True
        loop = self.loop = asyncio.get_running_loop()
        for pending in self.store.adopt({s.name for s in self.served}):
            task = loop.create_task(self._recover(pending))
            self.recovering.add(task)
            task.add_done_callback(self.recovering.discard)

    async def stop(self) -> None:
        await self.drain()
        for served in self.served:
            with contextlib.suppress(Exception):
                await served.engine.aclose()
        if self.store is not None:
            await self.store.flush()
            self.store.close()
        if self.steps is not None:
            self.steps.close()
        self.metrics.shutdown()
        _LINES.flush()

    def _install_sigterm(self) -> None:
        """SIGTERM drains first, then hands over to uvicorn's own handler (which stops it)."""
        import threading

        if threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGTERM)
        loop = asyncio.get_running_loop()

        def on_term(sig: int, frame: Any) -> None:
            if self.draining:  # a second SIGTERM: stop now
                if callable(previous):
                    previous(sig, frame)
                return
            self.draining = True
            self.ready = False

            async def drain_then_stop() -> None:
                await self.drain()
                if callable(previous):
                    previous(sig, None)

            loop.call_soon_threadsafe(lambda: loop.create_task(drain_then_stop()))

        signal.signal(signal.SIGTERM, on_term)

    # ------------------------------------------------------------------ probes

    async def healthz(self, request: Any) -> Any:
        from starlette.responses import JSONResponse

        return JSONResponse({"status": "ok"})

    async def readyz(self, request: Any) -> Any:
        from starlette.responses import JSONResponse

        if self.ready and not self.draining:
            return JSONResponse({"ready": True})
        return JSONResponse({"ready": False, "draining": self.draining}, status_code=503)

    async def scrape(self, request: Any) -> Any:
        """The engine's and the server's metrics, in Prometheus' text format (`copilot.serve.metrics`)."""
        from starlette.responses import Response

        text, content_type = self.metrics.render()
        return Response(text, media_type=content_type)

    # ------------------------------------------------------------------ deliveries

    def _endpoint(self, served: Served) -> Any:
        from starlette.responses import JSONResponse as StarletteJSON

        class JSONResponse(StarletteJSON):
            """Starlette's JSON response, its encoder built once (the same bytes)."""

            def render(self, content: Any) -> bytes:
                return _RESPONSE_JSON(content).encode("utf-8")

        async def endpoint(request: Any) -> Any:
            started = time.perf_counter()
            log: dict[str, Any] = {"flow": served.name, "method": request.method, "path": served.path}
            self.requests += 1
            try:
                status, body, headers = await self.deliver(served, request, log)
            except Refusal as refusal:
                status, body, headers = refusal.status, refusal.body, refusal.headers
            finally:
                self.requests -= 1
            log["status"] = status
            log["latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
            access_log(log, self.loop)
            return JSONResponse(body, status_code=status, headers=headers)

        return endpoint

    async def deliver(
        self, served: Served, request: Any, log: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]]:
        """Answer one delivery: refuse it, replay its first answer, or run it."""
        if self.draining:
            raise Refusal(503, {"error": "draining"}, {"Retry-After": "5", "Connection": "close"})
        if not json_content_type(request.headers.get("content-type")):
            raise Refusal(415, {"error": "Content-Type must be application/json"})
        body = await read_body(request, self.options.max_body)
        if served.verifier is not None:
            reason = served.verifier.verify(request.headers, body)
            if reason is not None:
                log["auth_error"] = reason  # the log says why; the client only that it failed
                raise Refusal(401, UNAUTHORIZED)
        event = parse_event(body)
        engine = served.engine
        try:
            engine.check_event(event)
        except FlowgenError as exc:
            raise Refusal(422, {"error": exc.message}) from None
        await served.admission.check_rate()
        headers = request.headers
        delivery_id = headers.get("webhook-id") or headers.get("x-github-delivery")
        key = self._key(served, event, delivery_id, body)
        log["event_id"] = engine.redactor(event)(key)
        store_key = f"{served.name}:{key}"
        kept = {"webhook-id": delivery_id} if delivery_id else {}
        assert self.store is not None
        while True:
            claim = await self.store.claim(store_key, served.name, request_hash(event), event, kept)
            if isinstance(claim, Replay):
                log["replayed"] = True
                return claim.status, claim.body, {"Idempotent-Replayed": "true"}
            if isinstance(claim, Conflict):
                raise Refusal(409, {"error": "this idempotency key was used for a different event"})
            if isinstance(claim, Run):
                break
            assert isinstance(claim, Wait)
            if self.draining:
                raise Refusal(503, {"error": "draining"}, {"Retry-After": "5"})
            await asyncio.sleep(_WAIT_POLL)
        tracked = Tracked(served, store_key, event, delivery_id)
        try:
            await served.admission.enter()
        except Refusal:
            if claim.recovered:
                self.store.finish(store_key, "dead", [])
            else:
                self.store.release(store_key)
            raise
        self.tracked[store_key] = tracked
        try:
            result = await engine.handle(event)
        except BaseException:
            served.admission.leave()
            self.tracked.pop(store_key, None)
            self.store.release(store_key)
            raise
        tracked.result = result
        log["cost_usd"] = round(result.cost, 8)
        status, answer = result.response_status, result.response_body
        if result.done and not tracked.lettered and not broken_steps(result):
            # Every step has already ended well (no async branch left): done now, no watch.
            served.admission.leave()
            self.tracked.pop(store_key, None)
            completed = list(result.steps)
            if claim.answered is not None:
                self.store.finish(store_key, "done", completed)
            elif status < 400:
                self.store.answer(store_key, status, answer, served.window, completed=completed)
            else:
                self.store.release(store_key)
        else:
            if claim.answered is None:
                if status < 400:
                    self.store.answer(store_key, status, answer, served.window)
                elif not tracked.lettered:
                    self.store.release(store_key)
            tracked.task = asyncio.get_running_loop().create_task(self._watch(tracked))
        if claim.answered is not None:
            log["replayed"] = True
            return claim.answered[0], claim.answered[1], {"Idempotent-Replayed": "true"}
        return status, answer, {}

    def _key(self, served: Served, event: dict[str, Any], delivery_id: str | None, body: bytes) -> str:
        """The idempotency key: `trigger.idempotency_key`, the delivery id, or the body's hash."""
        from copilot.flow.expressions import ExpressionError
        from copilot.flow.sandbox import render_budget

        template = served.engine.trigger_key
        if template is not None:
            try:
                with render_budget(served.engine.sla):
                    return str(template({"event": event}))
            except ExpressionError as exc:
                raise Refusal(422, {"error": f"trigger.idempotency_key: {exc.message}"}) from None
        if delivery_id:
            return delivery_id
        import hashlib

        return "sha256:" + hashlib.sha256(body).hexdigest()

    async def _watch(self, tracked: Tracked) -> None:
        """Wait for the event's last step; mark it done, or dead-letter it."""
        result = tracked.result
        try:
            await result.wait_done()
        finally:
            tracked.served.admission.leave()
            self.tracked.pop(tracked.key, None)
        if tracked.lettered:
            return
        assert self.store is not None
        broken = broken_steps(result)
        if broken:
            await self._letter(
                tracked, f"step `{broken[0].step_id}` {broken[0].status}: {broken[0].kind or 'error'}"
            )
        else:
            self.store.finish(tracked.key, "done", list(result.steps))

    async def _letter(self, tracked: Tracked, reason: str) -> None:
        from copilot.serve.letters import letter, write_letters

        assert self.store is not None
        tracked.lettered = True
        state = await self.store.state(tracked.key)
        if state not in ("running", "answered"):
            return  # released (never answered 2xx) or already finished
        record = letter(
            served=tracked.served,
            key=tracked.key,
            delivery_id=tracked.delivery_id,
            event=tracked.event,
            store=str(self.options.store_path.resolve()),
            reason=reason,
            result=tracked.result,
        )
        write_letters(self.options.dead_letter_path, [record])
        self.store.finish(tracked.key, "dead", record["completed_steps"])
        if not getattr(tracked.result, "dead_lettered", False):  # else the engine counted it
            self.metrics.telemetry.count("dead_letters")
        error_log({"event": "dead_lettered", "flow": tracked.served.name, "reason": reason})

    async def _recover(self, pending: Pending) -> None:
        """Run again an event a crashed process accepted and did not finish."""
        served = next(s for s in self.served if s.name == pending.flow)
        tracked = Tracked(served, pending.key, pending.event, pending.headers.get("webhook-id"))
        self.tracked[pending.key] = tracked
        await served.admission.enter_unqueued()
        try:
            result = await served.engine.handle(pending.event)
        except BaseException:
            served.admission.leave()
            self.tracked.pop(pending.key, None)
            raise
        tracked.result = result
        assert self.store is not None
        if pending.answered is None and result.response_status < 400:
            self.store.answer(pending.key, result.response_status, result.response_body, served.window)
        error_log({"event": "recovered", "flow": served.name})
        tracked.task = asyncio.get_running_loop().create_task(self._watch(tracked))

    # ------------------------------------------------------------------ drain

    async def drain(self) -> None:
        """Stop taking deliveries; finish what runs up to `drain_timeout`; dead-letter the rest."""
        if self._drained is None:
            self._drained = asyncio.get_running_loop().create_task(self._drain())
        await asyncio.shield(self._drained)

    async def _drain(self) -> None:
        self.draining = True
        self.ready = False
        deadline = time.monotonic() + self.options.drain_timeout
        while (self.tracked or self.requests) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        left = list(self.tracked.values())
        for tracked in left:
            if not tracked.lettered:
                await self._letter(
                    tracked, f"not finished within the drain timeout ({self.options.drain_timeout:g}s)"
                )
        if left:
            error_log({"event": "drain_timeout", "dead_lettered": len(left)})
        for served in self.served:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(5.0):
                    await served.engine.cancel()


def broken_steps(result: Any) -> list[Any]:
    """The records of an event's steps that failed or were cancelled."""
    return [r for r in result.steps.values() if r.status in ("failed", "cancelled")]


class _LogLines:
    """Access-log lines waiting for the end of the event loop's pass: one write for all.

    Under load a pass answers many requests; a write (and flush) of its own per line cost a
    system call each, and each gives the GIL to the store's writer thread, for which the
    event loop then waits. The lines are the same, one per request, written in order before
    the loop waits again (and by `Server.stop`, and before any server log line).
    """

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, line: str, loop: asyncio.AbstractEventLoop | None) -> None:
        self.lines.append(line)
        if len(self.lines) == 1:
            if loop is None or loop.is_closed():
                self.flush()
            else:
                loop.call_soon(self.flush)

    def flush(self) -> None:
        if self.lines:
            text = "".join(self.lines)
            self.lines.clear()
            sys.stderr.write(text)
            sys.stderr.flush()


_LINES = _LogLines()
_LOG_JSON = json.JSONEncoder(default=str).encode
# Starlette's JSONResponse.render: json.dumps(…, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_RESPONSE_JSON = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":")
).encode  # json.dumps(…, default=str), its encoder built once


def access_log(fields: dict[str, Any], loop: asyncio.AbstractEventLoop | None = None) -> None:
    """One JSON line per request on stderr (never the event, never a secret).

    With the running `loop` the line is written at the end of the loop's pass, with the
    other requests' lines (`_LogLines`); without, at once.
    """
    line = {"time": round(time.time(), 3), "log": "access", **fields}
    _LINES.add(_LOG_JSON(line) + "\n", loop)


def error_log(fields: dict[str, Any]) -> None:
    _LINES.flush()  # the access lines before it stay before it
    line = {"time": round(time.time(), 3), "log": "server", **fields}
    sys.stderr.write(json.dumps(line, default=str) + "\n")
    sys.stderr.flush()


def options_to_env(options: ServeOptions) -> str:
    return json.dumps(asdict(options))


def app_from_environment() -> Any:
    """The app of one worker process (`--workers N`): the options come in `FLOWGEN_SERVE_OPTIONS`."""
    options = ServeOptions(**json.loads(os.environ[OPTIONS_ENV]))
    return Server(options).app
