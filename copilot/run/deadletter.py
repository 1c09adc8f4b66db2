"""The dead-letter file, appended off the event loop: one JSON line per event that failed.

The engine builds each line on the loop (it is a snapshot of the event at its end) and
hands it to `DeadLetterWriter`; one writer task appends what has piled up through
`asyncio.to_thread`, so a slow disk never stalls the events in flight. Lines keep the
order they were added in, and none is lost: `flush()` (which `Engine.drain()` and
`Engine.cancel()` call) returns once every line added so far is in the file, and a
writer cancelled midway writes what it still holds as it stops.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

from copilot.errors import FlowgenError
from copilot.run.records import EventResult, StepRecord
from copilot.run.redact import Redactor, redact_event


def dead_letter_line(
    *,
    flow_name: str,
    key: str | None,
    event: Any,
    result: EventResult,
    failed: list[StepRecord],
    reason: str | None,
    redact_paths: tuple[str, ...],
    scrub: Redactor,
) -> str:
    """One JSON line for the dead-letter file: the event, the failure, the attempts.

    The values of `observability.redact` fields never reach the file: they are `[redacted]`
    in the event (the record lists them under `redacted`; replay needs them supplied again)
    and scrubbed from every error text, which may quote them (`scrub` also knows the
    outputs derived from them).
    """
    first = failed[0] if failed else None
    line: dict[str, Any] = {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
        "flow": flow_name,
        "idempotency_key": key,
        "event": redact_event(event, redact_paths) if redact_paths else event,
        "step": first.step_id if first is not None else None,
        "error": (first.error if first is not None else None) or reason,
        "kind": first.kind if first is not None else "validation_error",
        "reason": reason,
        "response": {"status": result.response_status, "deadline_hit": result.deadline_hit},
        "failed_steps": [{"step": r.step_id, "error": r.error, "kind": r.kind} for r in failed],
        "attempts": [a.to_dict() for a in result.attempts],
    }
    if redact_paths:
        line = scrub.tree(line)
        line["redacted"] = list(redact_paths)
    return json.dumps(line, ensure_ascii=False, default=str) + "\n"


def append_lines(path: Path, lines: list[str]) -> None:
    """Append `lines` (each ending in a newline) in one write to a file opened for appending."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # One write of whole lines to a file opened for appending: lines never interleave.
    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(lines))


class DeadLetterWriter:
    """Appends lines to one dead-letter file from a writer task, off the event loop."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lines: list[str] = []
        self._writer: asyncio.Task[None] | None = None
        self._error: OSError | None = None

    def add(self, line: str, loop: asyncio.AbstractEventLoop) -> None:
        """Queue one line (ending in a newline); the writer task appends it soon."""
        self._lines.append(line)
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write())
            self._writer.add_done_callback(self._stopped)

    async def _write(self) -> None:
        while self._lines:
            batch, self._lines = self._lines, []
            try:
                await asyncio.to_thread(append_lines, self.path, batch)
            except OSError as exc:
                self._lines[:0] = batch  # kept for the next try; `flush` reports the error
                self._error = exc
                return

    def _stopped(self, writer: asyncio.Task[None]) -> None:
        if writer.cancelled() and self._lines:
            # Cancelled (the loop is shutting down), perhaps before it ever ran: what is left
            # is written now, on the loop, rather than lost. A batch already handed to a
            # thread is written by that thread.
            batch, self._lines = self._lines, []
            append_lines(self.path, batch)

    async def flush(self) -> None:
        """Return once every line added so far is in the file; raise if one could not be written."""
        while self._writer is not None and not self._writer.done():
            await asyncio.wait((self._writer,))
        if self._error is not None:
            error, self._error = self._error, None
            raise FlowgenError(
                f"could not write the dead-letter file {self.path}: {error.strerror or error}; "
                "check that its folder is writable"
            )
