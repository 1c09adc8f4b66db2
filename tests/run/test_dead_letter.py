"""Dead letters are written off the event loop, in order, and never lost; stopping a run
cancels only the engine's own tasks."""

from __future__ import annotations

import asyncio
import json
import threading

import copilot.run.deadletter as deadletter
from copilot.run.deadletter import DeadLetterWriter
from copilot.run.providers.base import ProviderError

from .conftest import Behaviour, ScriptedProvider
from .test_engine import engine

HANGING = """
steps:
  - {id: s, type: model, model: a, prompt: {user: "hi {{ event.id }}"}}
  - {id: f, type: model, model: b, prompt: {user: "hi"}, timeout: 1s, retry: {attempts: 1}}
respond: {needs: [s], body: ok}
on_error: {dead_letter: {path: dl/dead.jsonl}}
"""


def test_lines_are_appended_off_the_loop_in_order(tmp_path, monkeypatch):
    threads: list[str] = []
    append = deadletter.append_lines

    def recording(path, lines):
        threads.append(threading.current_thread().name)
        append(path, lines)

    monkeypatch.setattr(deadletter, "append_lines", recording)
    path = tmp_path / "dl" / "dead.jsonl"

    async def main():
        writer = DeadLetterWriter(path)
        loop = asyncio.get_running_loop()
        for n in range(50):
            writer.add(f"{n}\n", loop)
            if n % 7 == 0:
                await asyncio.sleep(0)
        await writer.flush()

    asyncio.run(main())
    assert path.read_text().splitlines() == [str(n) for n in range(50)]
    assert threads and threading.main_thread().name not in threads


def test_a_cancelled_writer_still_writes_what_it_holds(tmp_path):
    path = tmp_path / "dead.jsonl"

    async def main():
        writer = DeadLetterWriter(path)
        loop = asyncio.get_running_loop()
        writer.add("a\n", loop)
        writer.add("b\n", loop)
        writer._writer.cancel()  # the loop shuts down before the writer ran
        await asyncio.gather(writer._writer, return_exceptions=True)
        await writer.flush()

    asyncio.run(main())
    assert path.read_text() == "a\nb\n"


def test_cancel_stops_the_engine_tasks_only_and_writes_their_dead_letters(virtual, tmp_path):
    fails = Behaviour(0.1, errors=[ProviderError("client_error", "nope", status=400)] * 3)
    eng = engine(HANGING, ScriptedProvider({"a": Behaviour(None), "b": fails}), tmp_path)

    async def main():
        bystander = asyncio.get_running_loop().create_task(asyncio.sleep(3600))
        events = [asyncio.ensure_future(eng.handle({"id": f"e{n}"})) for n in range(3)]
        await asyncio.sleep(1.0)
        await eng.cancel()
        results = await asyncio.gather(*events)
        alive = not bystander.done()
        bystander.cancel()
        return results, alive

    results, alive = virtual(main())
    assert alive  # a task the engine did not start is left alone
    assert [(r.steps["s"].status, r.steps["f"].status) for r in results] == [("cancelled", "failed")] * 3
    letters = [json.loads(line) for line in (tmp_path / "dl" / "dead.jsonl").read_text().splitlines()]
    assert sorted(letter["event"]["id"] for letter in letters) == ["e0", "e1", "e2"]
