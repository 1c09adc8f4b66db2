"""Retrieval for `retrieve` steps: pinned local documents, freshness, BM25 ranking.

Each step's sources are resolved relative to the flow file and hashed; a hash that is not
the source's `pin` means the documents changed since someone reviewed them, so the engine
refuses to start. The BM25 index (bm25s) is built once per step and reused by every
event; a cheap stat check notices files changing under a running engine.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copilot.errors import FlowgenError
from copilot.flow import sources as flow_sources
from copilot.flow.trust import source_problem
from copilot.flow.units import format_duration

STAT_CHECK_EVERY = 5.0  # seconds between checks that the files did not change
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")


class SourceError(FlowgenError):
    """A file the flow names that cannot be used: a pin mismatch, a missing or stale source,
    a path outside the trust boundary (copilot.flow.trust); `loc` points into the flow file."""

    def __init__(self, message: str, loc: tuple[str | int, ...] | None = None, kind: str = "source") -> None:
        super().__init__(message)
        self.loc = loc
        self.kind = kind


@dataclass(slots=True)
class Passage:
    source: str  # file path relative to the flow file
    text: str


@dataclass(slots=True)
class _Source:
    pattern: str
    files: list[Path]
    version_date: dt.datetime | None
    signature: tuple[tuple[str, int, int], ...]


def _signature(files: list[Path]) -> tuple[tuple[str, int, int], ...]:
    out = []
    for f in files:
        st = f.stat()
        out.append((f.as_posix(), st.st_mtime_ns, st.st_size))
    return tuple(out)


def split_passages(text: str, source: str, max_chars: int = 1200) -> list[Passage]:
    """Paragraph-sized passages, each carrying its section heading for context."""
    passages: list[Passage] = []
    heading = ""
    for block in re.split(r"\n\s*\n", text):
        block = block.strip()
        if not block:
            continue
        if block.startswith("#") and "\n" not in block:
            heading = block.lstrip("#").strip()
            continue
        lines = block.splitlines()
        if lines[0].startswith("#"):
            heading = lines[0].lstrip("#").strip()
            block = "\n".join(lines[1:]).strip()
            if not block:
                continue
        body = f"{heading}: {block}" if heading else block
        while len(body) > max_chars:
            cut = body.rfind(" ", 0, max_chars)
            cut = cut if cut > 0 else max_chars
            passages.append(Passage(source, body[:cut].strip()))
            body = body[cut:].strip()
        if body:
            passages.append(Passage(source, body))
    return passages


class RetrieveIndex:
    """The documents of one retrieve step, verified against their pins, ranked with BM25."""

    def __init__(self, step: Any, base_dir: Path, step_index: int | None = None) -> None:
        self.step = step
        self.base_dir = base_dir
        self.step_index = step_index
        self.sources: list[_Source] = []
        self.passages: list[Passage] = []
        self._retriever: Any = None
        self._checked_at = 0.0
        self._build()

    def _loc(self, i: int, key: str) -> tuple[str | int, ...] | None:
        return None if self.step_index is None else ("steps", self.step_index, "sources", i, key)

    def _build(self) -> None:
        sources = []
        for i, source in enumerate(self.step.sources):
            outside = source_problem(source.path, self.base_dir)
            if outside is not None:
                raise SourceError(f"step `{self.step.id}`: {outside}", self._loc(i, "path"), kind="boundary")
            files = flow_sources.resolve(source.path, self.base_dir)
            if not files:
                raise SourceError(
                    f"step `{self.step.id}`: source `{source.path}` matches no files "
                    f"(globs are relative to {self.base_dir})",
                    self._loc(i, "path"),
                )
            if source.pin is not None:
                actual = flow_sources.digest(files, self.base_dir)
                if actual != source.pin:
                    raise SourceError(
                        f"step `{self.step.id}`: source `{source.path}` does not match its pin: "
                        f"expected {source.pin}, found {actual}; the documents changed since they were "
                        "pinned: review them, then run `flowgen pin` on the flow",
                        self._loc(i, "pin"),
                        kind="pin_mismatch",
                    )
            sources.append(_Source(source.path, files, _version_date(source.version), _signature(files)))
        self.sources = sources
        passages: list[Passage] = []
        for source in sources:
            for f in source.files:
                try:
                    rel = f.relative_to(self.base_dir).as_posix()
                except ValueError:
                    rel = f.as_posix()
                text = f.read_text(encoding="utf-8", errors="replace")
                passages.extend(split_passages(text, rel))
        self.passages = passages
        self._retriever = _bm25_index([p.text for p in passages]) if passages else None

    def check(self, now: float | None = None) -> None:
        """Rebuild (and re-verify pins) if a file changed since the last check."""
        now = time.monotonic() if now is None else now
        if now - self._checked_at < STAT_CHECK_EVERY:
            return
        self._checked_at = now
        for source in self.sources:
            current = flow_sources.resolve(source.pattern, self.base_dir)
            if _signature(current) != source.signature:
                self._build()
                return

    def stale(self, wall_now: float | None = None) -> str | None:
        """Why the documents are older than the step's `freshness`, or None when fresh."""
        freshness = self.step.freshness
        if freshness is None:
            return None
        wall_now = time.time() if wall_now is None else wall_now
        for source in self.sources:
            if source.version_date is not None:
                age = wall_now - source.version_date.timestamp()
                if age > freshness:
                    return (
                        f"source `{source.pattern}` (version {source.version_date.date()}) is "
                        f"{format_duration(round(age / 86400) * 86400.0)} old, over the freshness "
                        f"limit {format_duration(freshness)}"
                    )
                continue
            # mtimes from the last stat check: no system call per event.
            for name, mtime_ns, _size in source.signature:
                age = wall_now - mtime_ns / 1e9
                if age > freshness:
                    rel = Path(name).name
                    return (
                        f"`{rel}` of source `{source.pattern}` was last modified "
                        f"{_age(age)} ago, over the freshness limit {format_duration(freshness)}"
                    )
        return None

    def search(self, query: str, top_k: int | None) -> list[dict[str, Any]]:
        """The best passages for `query` (score > 0 only), best first."""
        if self._retriever is None or not query.strip():
            return []
        import bm25s

        tokens = bm25s.tokenize([query], stopwords="en", show_progress=False, return_ids=False)
        if not tokens or not tokens[0]:
            return []
        k = min(top_k or 20, len(self.passages))
        ids, scores = self._retriever.retrieve(tokens, k=k, show_progress=False)
        out = []
        for doc_id, score in zip(ids[0], scores[0], strict=False):
            if score <= 0:
                continue
            passage = self.passages[int(doc_id)]
            out.append({"source": passage.source, "text": passage.text, "score": round(float(score), 4)})
        return out


def _bm25_index(texts: list[str]) -> Any:
    import bm25s

    corpus = bm25s.tokenize(texts, stopwords="en", show_progress=False, return_ids=False)
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    return retriever


def _version_date(version: str | None) -> dt.datetime | None:
    if not version:
        return None
    match = _DATE.match(version.strip())
    if not match:
        return None
    try:
        return dt.datetime.fromisoformat(match.group(1)).replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def _age(seconds: float) -> str:
    days = seconds / 86400
    if days >= 1:
        return f"{days:.0f} days"
    return format_duration(round(seconds))
