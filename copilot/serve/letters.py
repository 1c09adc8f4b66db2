"""The server's dead letters: one JSON line per accepted event it could not finish.

A line holds what `flowgen replay` needs to deliver the event again, signed, to the same
route with the same idempotency key: the flow's route and auth (the secret as its
`${env:NAME}` reference, never its value), the delivery id, the event, the steps that
completed and why it stopped (drain timeout, failed steps, a crash found on start).
Fields listed in `observability.redact` are `[redacted]` in the line, as in the engine's
dead letters (`copilot.run.deadletter`); replay then reads the whole event from the
server's store (`store`, `key`), which kept it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from copilot.run.deadletter import append_lines
from copilot.run.redact import redact_event


def letter(
    *,
    served: Any,
    key: str,
    delivery_id: str | None,
    event: dict[str, Any],
    store: str,
    reason: str,
    result: Any,
) -> dict[str, Any]:
    """The dead-letter record of one event of `served` (a `copilot.serve.app.Served`)."""
    steps = result.steps.values() if result is not None else ()
    auth = served.flow.trigger.auth
    redact = served.engine.redact_paths
    line: dict[str, Any] = {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
        "source": "serve",
        "flow": served.name,
        "flow_file": served.flow_file,
        "route": {"method": served.method, "path": served.path},
        "auth": None
        if auth is None or auth.scheme == "none"
        else {"scheme": auth.scheme, "secret": auth.secret, "header": auth.header},
        "key": key,
        "delivery_id": delivery_id,
        "event": redact_event(event, redact) if redact else event,
        "store": store,
        "reason": reason,
        "completed_steps": [r.step_id for r in steps if r.status in ("ok", "skipped", "defaulted")],
        "failed_steps": [
            {"step": r.step_id, "status": r.status, "kind": r.kind}
            for r in steps
            if r.status in ("failed", "cancelled", "pending", "running")
        ],
    }
    if redact:
        line["redacted"] = list(redact)
    return line


def write_letters(path: Path, lines: list[dict[str, Any]]) -> None:
    """Append records to the dead-letter file, in one write."""
    if lines:
        append_lines(path, [json.dumps(x, ensure_ascii=False, default=str) + "\n" for x in lines])


def read_letters(path: Path) -> list[dict[str, Any]]:
    """The server's records in a dead-letter file (lines of another kind are skipped)."""
    from copilot.errors import FlowgenError
    from copilot.jsonlines import json_objects

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FlowgenError(
            f"cannot read the dead-letter file: {exc.strerror or exc}", path=str(path)
        ) from None
    records = json_objects(text, lambda n, exc: f"{path}:{n}:{exc.colno}: not a JSON dead letter: {exc.msg}")
    return [r for r in records if r.get("source") == "serve"]
