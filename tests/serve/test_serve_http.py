"""`flowgen serve` over real HTTP: inputs refused, signatures, routes, idempotency, backpressure."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import subprocess
import sys

import httpx

from tests.serve.conftest import FLOWS, OLD_SECRET, ROOT, SECRET, signed, wait_for


def post(server, event, **kw):
    body, headers = signed(event, **kw)
    return httpx.post(server.url + "/hooks/sink", content=body, headers=headers, timeout=30)


def test_inputs_are_checked_in_order(serve, sink):
    server = serve(args=["--max-body", "4000"], env={"SERVE_TEST_SECRET": f"{SECRET} {OLD_SECRET}"})
    ok = post(server, {"id": "a1", "text": "hello", "email": "alice@example.com"})
    assert ok.status_code == 200 and ok.json() == {"id": "a1", "ok": True}
    assert post(server, {"id": "a2", "text": "hi"}, secret=OLD_SECRET).status_code == 200  # rotation

    body, headers = signed({"id": "b", "text": "x"})
    bad = httpx.post(server.url + "/hooks/sink", content=body + b" ", headers=headers)
    expired_body, expired = signed(
        {"id": "b", "text": "x"}, when=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    )
    stale = httpx.post(server.url + "/hooks/sink", content=expired_body, headers=expired)
    missing = httpx.post(
        server.url + "/hooks/sink", content=body, headers={"content-type": "application/json"}
    )
    for response in (bad, stale, missing):
        assert response.status_code == 401 and response.json() == {"error": "unauthorized"}

    big = {"id": "c", "text": "x" * 5000}
    assert post(server, big).status_code == 413
    body, headers = signed({"id": "d"})
    malformed = httpx.post(
        server.url + "/hooks/sink",
        content=b'{"id": "d",\n "text": }',
        headers={**signed({})[1], **_resign(b'{"id": "d",\n "text": }')},
    )
    assert malformed.status_code == 400 and malformed.json()["line"] == 2, malformed.text
    schema = post(server, {"id": "e", "text": 5})
    assert schema.status_code == 422 and "text" in schema.json()["error"], schema.text
    wrong_type = httpx.post(
        server.url + "/hooks/sink", content=body, headers={**headers, "content-type": "text/plain"}
    )
    assert wrong_type.status_code == 415
    assert httpx.put(server.url + "/hooks/sink", content=body, headers=headers).status_code == 405
    assert httpx.get(server.url + "/healthz").status_code == 200

    wait_for(lambda: sink.count("/archive") == 2, what="async steps after the response")
    assert sink.count("/notify") == 2
    server.stop()
    lines = [x for x in server.lines() if x.get("log") == "access"]
    assert {x["status"] for x in lines} >= {200, 401, 413, 400, 422, 415}
    assert any("tolerance" in x.get("auth_error", "") for x in lines)  # the log says why
    text = server.log.read_text()
    assert "alice@example.com" not in text and SECRET not in text


def _resign(body: bytes) -> dict[str, str]:
    from standardwebhooks import Webhook

    when = dt.datetime.now(dt.UTC)
    return {
        "webhook-id": "msg_malformed",
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(SECRET).sign("msg_malformed", when, body),
    }


def test_several_flows_github_and_hmac(serve, sink):
    env = {"SERVE_GITHUB_SECRET": "gh-secret", "SERVE_HMAC_SECRET": "hm-secret"}
    server = serve(FLOWS, env=env)  # the folder: every flow on its own path
    body = json.dumps({"id": "g1"}).encode()
    digest = hmac.new(b"gh-secret", body, hashlib.sha256).hexdigest()
    gh = {"content-type": "application/json", "x-hub-signature-256": f"sha256={digest}"}
    answer = httpx.post(server.url + "/hooks/github", content=body, headers=gh)
    assert answer.status_code == 200 and answer.json() == {"id": "g1", "scheme": "github"}
    gh["x-hub-signature-256"] = "sha256=" + "0" * 64
    assert httpx.post(server.url + "/hooks/github", content=body, headers=gh).status_code == 401
    digest = hmac.new(b"hm-secret", body, hashlib.sha256).hexdigest()
    hm = {"content-type": "application/json", "x-flow-signature": digest}
    assert httpx.put(server.url + "/hooks/hmac", content=body, headers=hm).json() == {
        "id": "g1",
        "scheme": "hmac",
    }
    assert httpx.post(server.url + "/hooks/hmac", content=body, headers=hm).status_code == 405
    hm["x-flow-signature"] = hmac.new(b"wrong", body, hashlib.sha256).hexdigest()
    assert httpx.put(server.url + "/hooks/hmac", content=body, headers=hm).status_code == 401
    assert post(server, {"id": "s1", "text": "x"}).status_code == 200


def test_a_path_clash_and_a_missing_secret_are_one_line_startup_errors(tmp_path):
    env = {"SERVE_HMAC_SECRET": "x", "SERVE_GITHUB_SECRET": "y", "PATH": ""}
    clash = subprocess.run(
        [sys.executable, "-m", "copilot", "serve", str(FLOWS / "github.yaml"),
         str(ROOT / "tests/serve/clash"), "--state-dir", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert clash.returncode == 2 and "already served" in clash.stderr and clash.stderr.count("\n") == 1
    missing = subprocess.run(
        [sys.executable, "-m", "copilot", "serve", str(FLOWS / "github.yaml"), "--state-dir", str(tmp_path)],
        cwd=ROOT, env={"PATH": ""}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert missing.returncode == 2 and "SERVE_GITHUB_SECRET is not set" in missing.stderr


def test_duplicates_run_once_sequential_concurrent_and_across_a_restart(serve, sink):
    server = serve()
    first = post(server, {"id": "dup-1", "text": "hello"})
    again = post(server, {"id": "dup-1", "text": "hello"})  # a new webhook-id, same event key
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert post(server, {"id": "dup-1", "text": "other"}).status_code == 409

    async def burst() -> list[httpx.Response]:
        body, headers = signed({"id": "dup-50", "text": "same"})
        async with httpx.AsyncClient(timeout=60) as client:
            return await asyncio.gather(
                *(client.post(server.url + "/hooks/sink", content=body, headers=headers) for _ in range(50))
            )

    answers = asyncio.run(burst())
    assert {r.status_code for r in answers} == {200}
    assert len({r.text for r in answers}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in answers) == 49
    wait_for(lambda: sink.count("/archive") == 2, what="async steps")
    assert sink.keys("/notify") == {"dup-1:notify": 1, "dup-50:notify": 1}

    server.stop()
    restarted = serve()
    replayed = post(restarted, {"id": "dup-50", "text": "same"})
    assert replayed.headers["idempotent-replayed"] == "true" and replayed.json() == answers[0].json()
    assert sink.count("/notify") == 2


def test_backpressure_refuses_with_retry_after_and_completes_what_it_took(serve, sink):
    sink.delay["/notify"] = 0.5
    server = serve(FLOWS / "slow.yaml", args=["--queue", "2"])

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=60) as client:
            requests = []
            for i in range(20):
                body, headers = signed({"id": f"bp-{i}", "text": "x"})
                requests.append(client.post(server.url + "/hooks/slow", content=body, headers=headers))
            return await asyncio.gather(*requests)

    answers = asyncio.run(burst())
    busy = [r for r in answers if r.status_code == 503]
    taken = [r for r in answers if r.status_code in (200, 202)]
    assert busy and taken and len(busy) + len(taken) == 20
    assert all(r.headers.get("retry-after") for r in busy)
    wait_for(lambda: sink.count("/archive") == len(taken), timeout=60, what="accepted events to complete")
    assert sorted(sink.keys("/notify")) == sorted(f"{r.json()['id']}:notify" for r in taken)


def test_two_workers_share_the_store(serve, sink):
    server = serve(args=["--workers", "2"])

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=60) as client:
            calls = []
            for i in range(30):
                body, headers = signed({"id": f"w-{i % 5}", "text": "same"})  # each event 6 times
                calls.append(client.post(server.url + "/hooks/sink", content=body, headers=headers))
            return await asyncio.gather(*calls)

    answers = asyncio.run(burst())
    assert {r.status_code for r in answers} == {200}
    wait_for(lambda: sink.count("/archive") >= 5, what="async steps")
    assert sink.keys("/notify") == {f"w-{i}:notify": 1 for i in range(5)}
    assert sink.count("/archive") == 5
