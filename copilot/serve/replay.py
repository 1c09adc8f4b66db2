"""`flowgen replay DEADLETTER [--to URL]`: deliver the server's dead letters again, signed.

Each record (`copilot.serve.letters`) is posted to its route on `--to`, signed with the
flow's scheme and the secret its `${env:NAME}` names now, carrying the original delivery
id, so the server derives the same idempotency key: an event already finished is answered
from the store (`Idempotent-Replayed`), never run twice, and one still dead-lettered is
run again, its keyed steps replayed from the step store rather than called again. A
record whose redacted fields are hidden takes the whole event from the server's store.
429 and 503 are retried after their Retry-After.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from copilot.errors import FlowgenError
from copilot.serve.letters import read_letters
from copilot.serve.signatures import sign, verifier_for

DEFAULT_TARGET = "http://127.0.0.1:8000"


@dataclass
class ReplayOutcome:
    sent: int = 0
    accepted: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if not self.failures else 1


def replay(
    path: Path, *, to: str = DEFAULT_TARGET, attempts: int = 5, timeout: float = 60.0
) -> ReplayOutcome:
    """Deliver every record of the dead-letter file at `path` once more; report what came back."""
    import httpx

    letters = read_letters(path)
    outcome = ReplayOutcome()
    seen: set[str] = set()
    with httpx.Client(timeout=timeout) as client:
        for record in letters:
            key = str(record.get("key"))
            if key in seen:  # a key dead-lettered twice (replayed, failed again) is sent once
                continue
            seen.add(key)
            body = json.dumps(event_of(record), ensure_ascii=False).encode()
            route = record["route"]
            url = to.rstrip("/") + route["path"]
            headers = {"Content-Type": "application/json"}
            auth = record.get("auth")
            msg_id = record.get("delivery_id") or f"replay_{uuid.uuid4().hex}"
            if auth:
                verifier = verifier_for(
                    SimpleNamespace(**auth, tolerance=None), os.environ, where=f"{record['flow']}"
                )
                assert verifier is not None
            outcome.sent += 1
            for attempt in range(attempts):
                if auth:
                    headers.update(sign(verifier, body, msg_id=msg_id))
                try:
                    response = client.request(route["method"], url, content=body, headers=headers)
                except httpx.HTTPError as exc:
                    problem = f"{record['flow']} {key}: {type(exc).__name__}: {exc}"
                    if attempt + 1 == attempts:
                        outcome.failures.append(problem)
                    time.sleep(1.0)
                    continue
                if response.status_code in (429, 503) and attempt + 1 < attempts:
                    time.sleep(min(float(response.headers.get("retry-after", "1") or 1), 10.0))
                    continue
                if response.status_code < 400:
                    outcome.accepted += 1
                else:
                    outcome.failures.append(f"{record['flow']} {key}: HTTP {response.status_code}")
                break
    return outcome


def event_of(record: dict[str, Any]) -> dict[str, Any]:
    """The event to send: the record's own, or the store's whole one when fields were redacted."""
    if not record.get("redacted"):
        return record["event"]  # type: ignore[no-any-return]
    from copilot.serve.store import ServeStore

    store_path = record.get("store")
    if not store_path or not Path(store_path).exists():
        raise FlowgenError(
            f"{record['flow']} {record.get('key')}: the record hides redacted fields and the server's "
            f"store ({store_path}) is not here to supply them"
        )
    store = ServeStore(store_path)
    try:
        event = store.event_of(str(record["key"]))
    finally:
        store.close()
    if event is None:
        raise FlowgenError(
            f"{record['flow']} {record.get('key')}: the server's store no longer holds this event"
        )
    return event
