"""`flowgen pin`: pin a flow's retrieval sources to the documents as they are now.

A retrieve step's `sources[].pin` is the content hash of the files its glob matches
(`copilot.flow.sources.digest`). The engine refuses to answer from documents that differ
from their pin, so a changed help-centre article cannot slip into answers unreviewed. After
reviewing the documents, `flowgen pin FLOW` writes the new pins (comments, quotes and key
order kept, written atomically); `--check` only reports, for CI. A glob that matches no
files is never pinned: there is nothing to review yet.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from copilot.errors import FlowgenError


@dataclass
class PinChange:
    """One source of one retrieve step: its pin before and now."""

    step: str
    path: str
    old: str | None
    new: str
    files: int

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "changed": self.changed}


@dataclass
class PinResult:
    flow: str
    sources: list[PinChange] = field(default_factory=list)
    written: bool = False

    @property
    def changed(self) -> list[PinChange]:
        return [s for s in self.sources if s.changed]


def pin_flow(path: str, *, check: bool = False) -> PinResult:
    """The pins of every retrieve source of the flow at `path`; written unless `check`.

    Raises FlowgenError (one line, positioned) for a flow that does not load, a source
    outside the flow's folder, or a glob that matches no files.
    """
    from copilot.flow.dump import write_atomic
    from copilot.flow.load import load_flow
    from copilot.flow.sources import digest, resolve
    from copilot.flow.trust import source_problem
    from copilot.lint.fixes import dump_text, parse_tree

    loaded = load_flow(path)
    base = Path(path).resolve().parent
    result = PinResult(flow=path)
    for index, step in enumerate(loaded.flow.steps):
        if step.type != "retrieve":
            continue
        for n, source in enumerate(step.sources):
            where = loaded.doc.position(("steps", index, "sources", n, "path"))
            outside = source_problem(source.path, base)
            if outside is not None:
                raise FlowgenError(f"step `{step.id}`: {outside}", path=path, position=where)
            files = resolve(source.path, base)
            if not files:
                raise FlowgenError(
                    f"step `{step.id}`: source `{source.path}` matches no files next to the flow: add "
                    "the documents, review them, then pin",
                    path=path,
                    position=where,
                )
            pinned = digest(files, base)
            result.sources.append(PinChange(step.id, source.path, source.pin, pinned, len(files)))
    if check or not result.changed:
        return result
    text = Path(path).read_text(encoding="utf-8")
    tree = parse_tree(text)
    by_step = {s["id"]: s for s in tree["steps"]}
    for change in result.changed:
        for source in by_step[change.step]["sources"]:
            if source["path"] == change.path:
                source["pin"] = change.new
    write_atomic(path, dump_text(tree, text))
    result.written = True
    return result
