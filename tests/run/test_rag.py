"""Retrieve steps: pins, freshness, BM25 ranking, on_empty, index reuse."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from copilot.flow.sources import pin_for
from copilot.run.engine import Engine
from copilot.run.rag import RetrieveIndex, SourceError, split_passages

from .conftest import ScriptedProvider, flow_from


def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "reset.md").write_text("# Password\n\nReset your password from Settings, Security.\n")
    (folder / "billing.md").write_text(
        "# Billing\n\nInvoices are sent monthly by email.\n\nRefunds take 5 days.\n"
    )
    return folder


def flow(pin: str, extra: str = "") -> object:
    return flow_from(
        f"""
apiVersion: flowgen/v1
kind: Flow
name: r
trigger: {{type: webhook, path: /r}}
steps:
  - id: docs
    type: retrieve
    query: "{{{{ event.q }}}}"
    sources: [{{path: "docs/*.md", {pin}}}]
    top_k: 2
    {extra}
respond: {{needs: [docs], body: "{{{{ steps.docs.output }}}}"}}
"""
    )


def test_bm25_ranks_the_matching_passage_first(tmp_path, virtual):
    docs(tmp_path)
    engine = Engine(
        flow(f"pin: '{pin_for('docs/*.md', tmp_path)}'"), provider=ScriptedProvider(), base_dir=tmp_path
    )
    result = virtual(engine.handle({"q": "how long do refunds take"}))
    passages = result.response_body
    assert passages[0]["source"] == "docs/billing.md"
    assert "Refunds take 5 days" in passages[0]["text"]
    assert len(passages) <= 2 and all(p["score"] > 0 for p in passages)


def test_pin_mismatch_names_expected_and_actual(tmp_path):
    docs(tmp_path)
    good = pin_for("docs/*.md", tmp_path)
    (tmp_path / "docs" / "reset.md").write_text("changed\n")
    with pytest.raises(SourceError) as info:
        Engine(flow(f"pin: '{good}'"), provider=ScriptedProvider(), base_dir=tmp_path)
    message = str(info.value)
    assert good in message and pin_for("docs/*.md", tmp_path) in message
    assert info.value.loc == ("steps", 0, "sources", 0, "pin")


def test_stale_source_by_mtime_fails_the_step(tmp_path, virtual):
    folder = docs(tmp_path)
    old = time.time() - 40 * 86400
    os.utime(folder / "billing.md", (old, old))
    engine = Engine(flow(f"pin: '{pin_for('docs/*.md', tmp_path)}'", "freshness: 30d"),
                    provider=ScriptedProvider(), base_dir=tmp_path)  # fmt: skip
    result = virtual(engine.handle({"q": "refunds"}))
    assert result.steps["docs"].status == "failed"
    assert result.steps["docs"].kind == "stale_source"
    assert "billing.md" in result.steps["docs"].error and "40 days" in result.steps["docs"].error


def test_stale_source_by_version_date(tmp_path, virtual):
    docs(tmp_path)
    engine = Engine(
        flow("version: '2020-01-01'", "freshness: 30d"), provider=ScriptedProvider(), base_dir=tmp_path
    )
    result = virtual(engine.handle({"q": "refunds"}))
    assert result.steps["docs"].kind == "stale_source" and "2020-01-01" in result.steps["docs"].error
    fresh = Engine(
        flow("version: '2999-01-01'", "freshness: 30d"), provider=ScriptedProvider(), base_dir=tmp_path
    )
    assert virtual(fresh.handle({"q": "refunds"})).steps["docs"].status == "ok"


def test_on_empty_default_and_skip(tmp_path, virtual):
    docs(tmp_path)
    pin = f"pin: '{pin_for('docs/*.md', tmp_path)}'"
    default = Engine(flow(pin, "on_empty: {action: default, value: [none]}"), provider=ScriptedProvider(),
                     base_dir=tmp_path)  # fmt: skip
    result = virtual(default.handle({"q": "zebra quantum"}))
    assert result.steps["docs"].status == "defaulted" and result.response_body == ["none"]
    skip = Engine(flow(pin, "on_empty: {action: skip}"), provider=ScriptedProvider(), base_dir=tmp_path)
    assert virtual(skip.handle({"q": "zebra"})).steps["docs"].status == "skipped"


def test_index_is_built_once_per_engine(tmp_path, virtual, monkeypatch):
    docs(tmp_path)
    built = []
    original = RetrieveIndex._build

    def counting(self):
        built.append(1)
        return original(self)

    monkeypatch.setattr(RetrieveIndex, "_build", counting)
    engine = Engine(
        flow(f"pin: '{pin_for('docs/*.md', tmp_path)}'"), provider=ScriptedProvider(), base_dir=tmp_path
    )

    async def main():
        for _ in range(5):
            await engine.handle({"q": "invoice"})

    virtual(main())
    assert built == [1]


def test_passages_carry_their_heading():
    passages = split_passages("# Billing\n\nInvoices monthly.\n\n## Refunds\nFive days.\n", "b.md")
    assert [p.text for p in passages] == ["Billing: Invoices monthly.", "Refunds: Five days."]


def test_example_flow_pin_matches_its_docs():
    from copilot.flow.load import load_flow

    from .conftest import EXAMPLES

    loaded = load_flow(EXAMPLES / "support-triage.yaml")
    index = RetrieveIndex(loaded.flow.step("docs"), EXAMPLES)
    assert index.search("reset my password", 4)[0]["source"].endswith("password-reset.md")
