"""Writing flows: YAML in the flow file's key order, with the schema modeline and comments.

Two ways in:
- `dump_flow` writes a `Flow` from scratch (drafting), with optional end-of-line
  comments that explain choices;
- `merge_into` edits an existing round-trip tree in place (lint --fix), so comments,
  key order and flow/block style of untouched nodes survive.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from copilot.flow.models import TOP_LEVEL_ORDER
from copilot.flow.schema import MODELINE_PREFIX, modeline, modeline_target_of, schema_text

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    from copilot.flow.models import Flow

# Canonical key order inside blocks; keys not listed keep their relative order at the end.
STEP_ORDER = [
    "id",
    "type",
    "description",
    "mode",
    "needs",
    "if",
    "model",
    "route",
    "fallback",
    "hedge",
    "input",
    "query",
    "sources",
    "freshness",
    "top_k",
    "request",
    "prompt",
    "max_tokens",
    "temperature",
    "output",
    "output_schema",
    "rules",
    "on_fail",
    "on_empty",
    "timeout",
    "retry",
    "idempotency_key",
    "latency",
]
BLOCK_ORDER: dict[str, list[str]] = {
    "": TOP_LEVEL_ORDER,
    "sla": ["latency_p95", "max_cost_per_event", "cost_tier"],
    "trigger": [
        "type",
        "path",
        "method",
        "cron",
        "every",
        "timezone",
        "source",
        "topic",
        "group",
        "ack",
        "auth",
        "event_schema",
        "example",
        "idempotency_key",
        "dedupe_window",
        "rate_limit",
        "concurrency",
    ],
    "respond": ["needs", "status", "body", "on_deadline"],
    "retry": ["attempts", "backoff", "initial", "max", "jitter", "on"],
    "observability": ["tracing", "metrics", "redact", "alerts"],
    "tests": ["load", "chaos", "thresholds"],
    "prompt": ["system", "user"],
}
Comments = dict[tuple[str | int, ...], str]


def _order_for(path: tuple[str | int, ...]) -> list[str]:
    if len(path) == 2 and path[0] == "steps":
        return STEP_ORDER
    key = path[-1] if path else ""
    return BLOCK_ORDER.get(str(key), [])


def ordered_keys(keys: list[str], path: tuple[str | int, ...]) -> list[str]:
    order = _order_for(path)
    rank = {k: i for i, k in enumerate(order)}
    return sorted(keys, key=lambda k: (rank.get(k, len(order)), keys.index(k)))


def _is_leafy(value: Any) -> bool:
    """Small mappings/lists of scalars read best in flow style: `{use: openai/gpt-4o-mini}`."""
    if isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, list):
        items = value
    else:
        return False
    if not items or len(items) > 8:
        return bool(not items)
    text = repr(value)
    return len(text) < 90 and all(
        not isinstance(v, dict | list) and not (isinstance(v, str) and ("\n" in v or len(v) > 60))
        for v in items
    )


def to_tree(value: Any, path: tuple[str | int, ...] = ()) -> Any:
    """Plain data as ruamel round-trip nodes, keys ordered, small leaves in flow style."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

    if isinstance(value, dict):
        node = CommentedMap()
        for key in ordered_keys(list(value), path):
            node[key] = to_tree(value[key], (*path, key))
        if _is_leafy(value) and path and path[-1] not in ("example",):
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        seq = CommentedSeq(to_tree(item, (*path, i)) for i, item in enumerate(value))
        if _is_leafy(value):
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, str) and "\n" in value.rstrip("\n"):
        return LiteralScalarString(value)
    if isinstance(value, str) and any(ch in value for ch in ":?{}[],#"):
        # ruamel writes `{target: model:*}` or `{brief: why??}` plain (valid YAML 1.2), but
        # libyaml, which the loader uses, rejects flow indicators inside a flow mapping: quote.
        return DoubleQuotedScalarString(value)
    return value


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    return yaml


def flow_data(flow: Flow) -> dict[str, Any]:
    """A `Flow` as plain data, defaults and empty values left out, durations as strings."""
    return flow.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True) | {
        "apiVersion": flow.api_version,
        "kind": flow.kind,
    }


def add_comments(tree: Any, comments: Comments) -> None:
    """Attach end-of-line comments (`path` -> text) to the nodes they explain."""
    for path, text in comments.items():
        if not path:
            continue
        parent: Any = tree
        try:
            for part in path[:-1]:
                parent = parent[part]
            last = path[-1]
            if (isinstance(parent, dict) and last in parent) or (
                isinstance(parent, list) and isinstance(last, int) and last < len(parent)
            ):
                # A comment inside a flow-style `{a: 1, b: 2}` breaks it across lines
                # unreadably; a commented block reads as intended.
                node = cast("CommentedMap | CommentedSeq", parent)  # a round-trip node
                if getattr(node, "fa", None) is not None and node.fa.flow_style():
                    node.fa.set_block_style()
                node.yaml_add_eol_comment(text, last)
        except (KeyError, IndexError, TypeError, AttributeError):
            continue  # a comment for a node that is not there is dropped, not an error


def dump_tree(tree: Any, *, modeline_target: str | None = None, header: list[str] | None = None) -> str:
    """YAML text of a round-trip tree, starting with the schema modeline."""
    buf = io.StringIO()
    _yaml().dump(tree, buf)
    body = buf.getvalue()
    lines = body.splitlines(keepends=True)
    if lines and lines[0].startswith(MODELINE_PREFIX):
        lines = lines[1:]
        body = "".join(lines)
    prefix = [modeline(modeline_target) if modeline_target else modeline()]
    prefix += [f"# {line}" if line else "#" for line in header or []]
    return "\n".join(prefix) + "\n" + body


def dump_flow(
    flow: Flow,
    *,
    comments: Comments | None = None,
    modeline_target: str | None = None,
    header: list[str] | None = None,
) -> str:
    """A new flow file for `flow`."""
    tree = to_tree(flow_data(flow))
    _space_top_level(tree)
    if comments:
        add_comments(tree, comments)
    return dump_tree(tree, modeline_target=modeline_target, header=header)


def _space_top_level(tree: Any) -> None:
    """A blank line before each top-level block, as people write flow files."""
    for key in list(tree)[1:]:
        if key in ("sla", "trigger", "models", "steps", "respond", "on_error", "observability", "tests"):
            tree.yaml_set_comment_before_after_key(key, before="\n")


def merge_into(tree: Any, key: str | int, value: Any, path: tuple[str | int, ...] = ()) -> None:
    """Set `tree[key] = value` without disturbing comments or the other keys.

    A new key is inserted at its canonical position among the keys already there; an
    existing mapping is merged key by key, recursively. Comment lines and blank lines
    stay above the key they were written above (see `_take_trailing`).
    """
    from ruamel.yaml.comments import CommentedMap

    here = (*path, key)
    if isinstance(tree, dict) and key in tree and isinstance(tree[key], dict) and isinstance(value, dict):
        for sub_key, sub_value in value.items():
            merge_into(tree[key], sub_key, sub_value, here)
        return
    node = to_tree(value, here)
    if isinstance(tree, CommentedMap) and key not in tree:
        order = _order_for(path)
        rank = {k: i for i, k in enumerate(order)}
        position = len(tree)
        if key in rank:
            for i, existing in enumerate(tree):
                if rank.get(existing, len(order)) > rank[key]:
                    position = i
                    break
        keys = list(tree)
        # The lines after the previous key's value belong above the key that followed it:
        # they move past the inserted key.
        moved = _take_trailing(tree, keys[position - 1]) if position > 0 else ""
        if position < len(tree):
            tree.insert(position, key, node)
        else:
            tree[key] = node
        _give_trailing(tree, key, moved)
        return
    if _has(tree, key):
        moved = _take_trailing(tree, key)  # the old value's last lines precede the next key
        tree[key] = node
        _give_trailing(tree, key, moved)
        return
    tree[key] = node


def _has(tree: Any, key: str | int) -> bool:
    """Whether `tree` is a mapping with `key` or a list with an item at `key`."""
    if isinstance(tree, dict):
        return key in tree
    return isinstance(tree, list) and isinstance(key, int) and -len(tree) <= key < len(tree)


def _is_block(node: Any) -> bool:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if not isinstance(node, CommentedMap | CommentedSeq) or not node:
        return False
    return not node.fa.flow_style()


def _trailing_slot(parent: Any, key: str | int) -> tuple[Any, str | int, list[Any]]:
    """Where ruamel keeps the lines that follow `parent[key]`: its deepest last entry, and
    the block containers passed on the way (each may hold more lines in `ca.end`)."""
    from ruamel.yaml.comments import CommentedMap

    passed = []
    while _is_block(parent[key]):
        parent = parent[key]
        passed.append(parent)
        key = list(parent)[-1] if isinstance(parent, CommentedMap) else len(parent) - 1
    return parent, key, passed


def _slot_index(parent: Any) -> int:
    from ruamel.yaml.comments import CommentedMap

    return 2 if isinstance(parent, CommentedMap) else 0  # after a mapping value / a list item


def _take_trailing(parent: Any, key: str | int) -> str:
    """Detach the comment and blank lines after `parent[key]` (its end-of-line comment stays).

    ruamel keeps them after the deepest last scalar (the text after its line end) and in
    the `ca.end` of the block containers that end there, innermost first.
    """
    holder, slot_key, passed = _trailing_slot(parent, key)
    out = ""
    entry = holder.ca.items.get(slot_key)
    index = _slot_index(holder)
    token = entry[index] if entry and len(entry) > index else None
    value = getattr(token, "value", None)
    if token is not None and isinstance(value, str) and "\n" in value:
        cut = value.index("\n") + 1
        token.value = value[:cut]
        out = value[cut:]
    for container in reversed(passed):
        end = getattr(container.ca, "end", None)
        if not end:
            continue
        for comment in end:
            text = comment.value
            column = getattr(comment.start_mark, "column", 0) or 0
            out += (" " * column if text.startswith("#") else "") + text
        container.ca.end = []
    return out


def _give_trailing(parent: Any, key: str | int, lines: str) -> None:
    """Attach comment / blank `lines` after `parent[key]`, after its own end-of-line comment."""
    if not lines:
        return
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    holder, slot_key, _ = _trailing_slot(parent, key)
    index = _slot_index(holder)
    entry = holder.ca.items.setdefault(slot_key, [None, None, None, None] if index == 2 else [None, None])
    token = entry[index]
    if token is not None and isinstance(getattr(token, "value", None), str):
        token.value = (token.value if token.value.endswith("\n") else token.value + "\n") + lines
    else:
        entry[index] = CommentToken("\n" + lines, CommentMark(0))


def write_atomic(path: str | Path, text: str) -> None:
    """Write `text` to `path` via a temporary file in the same folder and a rename.

    A crash or a full disk leaves either the old file or the new one, never half of one.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o777)
        else:
            # mkstemp creates 0600; a new flow file gets the usual mode for the user's umask.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def refresh_schema_beside(flow_path: str | Path, text: str) -> Path | None:
    """Write the schema where the flow's modeline points, when that is a local relative path.

    An editor resolves the modeline relative to the flow file; a modeline that points at a
    file nobody wrote gives the user ENOENT instead of completion. Returns the path when the
    file was created or refreshed (it differed), None when it was already current or the
    modeline points elsewhere (a URL, an absolute path, no modeline).
    """
    target = modeline_target_of(text)
    if target is None or "://" in target or Path(target).is_absolute():
        return None
    path = Path(flow_path).parent / target
    if path.name != "flow.schema.json":
        # Only the file flowgen owns by name; never overwrite some other JSON the user chose.
        return None
    current = schema_text()
    try:
        if path.read_text(encoding="utf-8") == current:
            return None
    except (OSError, UnicodeDecodeError):
        pass
    write_atomic(path, current)
    return path
