"""YAML through libyaml's C parser: the composed node graph, its checks and its positions.

ruamel's round-trip loader is pure Python: about 0.7 s for a 500-step flow, 20 ms for a
small one, on every command. libyaml (ruamel's ``clibz`` extension) composes the same
node graph in C, and every node keeps its start mark, which is all an error position
needs. The round-trip tree, with comments for editing, is built only when something asks
for it (`Document.tree`).

Scalars are resolved with ruamel's YAML 1.2 resolver, as the round-trip loader does, so
``on: yes`` stays two strings and ``0777`` a decimal, whichever parser ran.

The plain data (dicts, lists, scalars) is built from the checked graph in one walk
(`plain_data`); ruamel's constructor and `document.to_plain`, the two passes that walk
replaced, still decide every document it is unsure of (merge keys, duplicate keys, …).
"""

from __future__ import annotations

import datetime as _dt
from functools import lru_cache
from typing import Any

from copilot.errors import FlowgenError, Position

# The tags a flow may carry: what plain YAML resolves to, and merge keys (`<<: *defaults`).
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp", "merge")
)
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


@lru_cache(maxsize=1)
def flow_resolver() -> type:
    """ruamel's YAML 1.2 resolver, minus a slowdown that makes big files quadratic.

    ruamel's `VersionedResolver.resolve` extends, in place, the cached list of patterns for
    a scalar's first character on every call (``resolvers += ...``), so each scalar is
    matched against a longer list than the one before: 0.7 s of a 2,000-step flow. This
    subclass resolves the same tags from the same patterns without mutating them.
    """
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
    from ruamel.yaml.resolver import VersionedResolver
    from ruamel.yaml.tag import Tag

    # One Tag per resolved tag, shared by every node that resolves to it (as ruamel shares its
    # DEFAULT_SCALAR_TAG): a Tag computes its text once, so the node checks and the
    # construction read it from a cache instead of decoding the suffix once per node.
    resolved: dict[str, Tag] = {}
    # The patterns to try for a scalar, by (version table, first character): built once, not
    # per scalar. ruamel's tables live as long as the class and are not changed after import.
    candidates: dict[tuple[int, str], tuple[Any, ...]] = {}

    class FlowResolver(VersionedResolver):
        @staticmethod
        def shared_tag(tag: str) -> Tag:
            """The one `Tag` of every node resolved to `tag`."""
            shared = resolved.get(tag)
            if shared is None:
                shared = resolved[tag] = Tag(suffix=tag)
            return shared

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if kind is ScalarNode and implicit[0]:
                table = self.versioned_resolver
                first = value[:1]
                patterns = candidates.get((id(table), first))
                if patterns is None:
                    patterns = candidates[id(table), first] = (*table.get(first, ()), *table.get(None, ()))
                for tag, regexp in patterns:
                    if regexp.match(value):
                        return self.shared_tag(tag)
            if kind is ScalarNode:
                return self.DEFAULT_SCALAR_TAG
            if kind is SequenceNode:
                return self.DEFAULT_SEQUENCE_TAG
            if kind is MappingNode:
                return self.DEFAULT_MAPPING_TAG
            return super().resolve(kind, value, implicit)

    return FlowResolver


@lru_cache(maxsize=1)
def c_loader() -> type | None:
    """A loader class on libyaml's C parser, or None where the extension is not installed."""
    try:
        from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]  # ruamel re-exports libyaml's, untyped
    except ImportError:
        return None
    from ruamel.yaml.constructor import SafeConstructor
    from ruamel.yaml.nodes import ScalarNode

    resolver: Any = flow_resolver()  # a class built at run time: its attributes are ruamel's
    default_scalar = resolver.DEFAULT_SCALAR_TAG
    # (shared Tag, pattern) to try for a scalar, by its first character, for YAML 1.2: what
    # `FlowResolver.resolve` finds, without its version lookup on each of libyaml's calls.
    by_first: dict[str, tuple[tuple[Any, Any], ...]] = {}

    class CFlowLoader(CParser, SafeConstructor, resolver):  # type: ignore[misc]  # bases built at run time
        # The C path is only taken without a `%YAML` directive: always YAML 1.2. (The
        # inherited property would look for a pure-Python scanner, through exceptions,
        # once per scalar.)
        processing_version = (1, 2)

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            self._parser = self._composer = self
            SafeConstructor.__init__(self, loader=self)
            resolver.__init__(self, loader=self)  # the class built above, on purpose
            self.allow_duplicate_keys = False

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            # libyaml calls this for every node: a third of the composition of a large flow.
            if kind is not ScalarNode:
                return resolver.resolve(self, kind, value, implicit)
            if implicit[0]:
                first = value[:1]
                patterns = by_first.get(first)
                if patterns is None:
                    table = self.versioned_resolver
                    patterns = by_first[first] = tuple(
                        (resolver.shared_tag(tag), regexp)
                        for tag, regexp in (*table.get(first, ()), *table.get(None, ()))
                    )
                for tag, regexp in patterns:
                    if regexp.match(value):
                        return tag
            return default_scalar

    return CFlowLoader


def tag_of(node: Any) -> str:
    tag = node.tag
    return str(getattr(tag, "value", tag))


def mark_position(mark: Any) -> Position:
    return Position(mark.line + 1, mark.column + 1)


def check_nodes(
    root: Any, name: str, *, max_nodes: int, max_depth: int, max_bytes: int | None = None
) -> None:
    """Refuse what a flow cannot be, before anything is constructed from the graph.

    An alias is the same node object reached twice, so a billion-laughs document is a small
    graph whose *expansion* is huge: count the expanded size with a memo per node (one
    visit per distinct node); an alias inside its own anchor is a cycle; tags beyond plain
    YAML (``!!binary``, ``!!set``, ``!custom``) are refused where they stand.

    The expanded size is counted in bytes too (`max_bytes`, the scalars' text): one 500 KB
    string aliased 100,000 times is few nodes but 50 GB of text for every later pass. Each
    node's (nodes, bytes) is memoised, so the check stays linear in the graph's size.
    """
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

    sizes: dict[int, int] = {}
    weights: dict[int, int] = {}  # expanded bytes per node, memoised like `sizes`
    on_stack: set[int] = set()
    byte_cap = max_bytes if max_bytes is not None else -1
    total_bytes = [0]  # bytes of the whole expansion so far (aliases counted each time)
    tag_texts: dict[int, str] = {}  # id(Tag) -> its text: nodes share Tag objects (`flow_resolver`)

    def size(node: Any, depth: int) -> int:
        if depth > max_depth:
            raise FlowgenError(
                f"nesting deeper than {max_depth} levels",
                path=name,
                position=mark_position(node.start_mark),
            )
        key = id(node)
        if key in sizes:
            if byte_cap >= 0:
                _add_bytes(weights[key], node)
            return sizes[key]
        ctag = node.ctag  # the graph holds every Tag while it is checked: their ids stay theirs
        tag = tag_texts.get(id(ctag))
        if tag is None:
            tag = tag_texts[id(ctag)] = tag_of(node)
        if type(node) is ScalarNode or not isinstance(node, MappingNode | SequenceNode):
            if tag not in _PLAIN_TAGS:
                raise _tag_error(tag, node, name)
            sizes[key] = 1
            if byte_cap >= 0:
                weight = len(node.value) if isinstance(node.value, str) else 1
                weights[key] = weight
                _add_bytes(weight, node)
            return 1
        if isinstance(node, MappingNode):
            for key_node, _ in node.value:
                if type(key_node) is not ScalarNode and isinstance(key_node, MappingNode | SequenceNode):
                    kind = "a mapping" if isinstance(key_node, MappingNode) else "a list"
                    raise FlowgenError(
                        f"unsupported mapping key ({kind}); keys are strings",
                        path=name,
                        position=mark_position(key_node.start_mark),
                    )
            children = [part for pair in node.value for part in pair]
            expected = _MAP_TAG
        else:
            children = node.value
            expected = _SEQ_TAG
        if tag != expected:
            raise _tag_error(tag, node, name)
        if key in on_stack:
            raise FlowgenError(
                "a YAML alias refers to itself (recursive structure)",
                path=name,
                position=mark_position(node.start_mark),
            )
        on_stack.add(key)
        total = 1
        before = total_bytes[0]
        for child in children:
            total += size(child, depth + 1)
            if total > max_nodes:
                raise FlowgenError(
                    f"YAML aliases expand to more than {max_nodes:,} nodes (an alias bomb?); "
                    "refusing to load",
                    path=name,
                )
        on_stack.discard(key)
        sizes[key] = total
        weights[key] = total_bytes[0] - before
        return total

    def _add_bytes(weight: int, node: Any) -> None:
        total_bytes[0] += weight
        if total_bytes[0] > byte_cap:
            raise FlowgenError(
                f"YAML aliases expand to more than {byte_cap:,} bytes of text (an alias bomb?); "
                "refusing to load",
                path=name,
                position=mark_position(node.start_mark),
            )

    size(root, 0)


class NotPlain(Exception):
    """`plain_data` leaves this graph to ruamel's constructor and `to_plain` (see there)."""


def plain_scalar(item: Any) -> Any:
    """A constructed YAML scalar as plain data: None, a bool, or the exact built-in int,
    float or str (ruamel's `ScalarFloat` and kin unwrapped), a date or timestamp as its ISO
    text (`version: 2026-11-01` means the label); `NotPlain` for anything else.

    The one rule for scalars of both ways to plain data, `plain_data` and `document.to_plain`.
    """
    if item is None or isinstance(item, bool):
        return item
    if isinstance(item, int):
        return int(item)
    if isinstance(item, float):
        return float(item)
    if isinstance(item, str):
        return str(item)
    if isinstance(item, _dt.datetime | _dt.date):
        return item.isoformat()
    raise NotPlain


_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def plain_data(root: Any, loader: Any) -> Any:
    """The plain data of a graph `check_nodes` passed, built in one walk of its nodes.

    The same data as ruamel's `construct_document` followed by `document.to_plain` (dicts
    with string keys, lists, str, int, float, bool, None, dates as ISO text; an alias
    expanded at every use), without the intermediate tree: on a 5,000-step flow that pair
    was two thirds of the parse. A string is the node's text; every other scalar goes
    through the loader's own constructor for its tag. What this walk does not decide is
    left whole to ruamel (`NotPlain`): a merge key (`<<`), a duplicate key, a key that is
    not a plain string, number or bool, a scalar ruamel fails to construct. The caller
    then runs the two-step path, which gives the error or the data exactly as before.
    """
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

    constructors = loader.yaml_constructors
    tag_texts: dict[int, str] = {}

    def tag_text(node: Any) -> str:
        ctag = node.ctag
        text = tag_texts.get(id(ctag))
        if text is None:
            text = tag_texts[id(ctag)] = tag_of(node)
        return text

    def scalar(node: Any) -> Any:
        """The constructed scalar, as ruamel gives it (a key is checked before `str()`)."""
        tag = tag_text(node)
        if tag == _STR_TAG:
            return node.value
        constructor = constructors.get(tag)
        if constructor is None or tag == _MERGE_TAG:
            raise NotPlain
        return constructor(loader, node)

    def value(node: Any) -> Any:
        if type(node) is ScalarNode:
            text = tag_texts.get(id(node.ctag))
            if text == _STR_TAG:  # most scalars: the node's text is the value
                return node.value
            return plain_scalar(scalar(node))
        if isinstance(node, SequenceNode):
            return [value(child) for child in node.value]
        if not isinstance(node, MappingNode):
            raise NotPlain
        out: dict[str, Any] = {}
        seen: set[Any] = set()  # the keys as constructed: ruamel's duplicate check compares these
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode:
                raise NotPlain
            key = scalar(key_node)
            if key is None or not isinstance(key, str | int | float | bool) or key in seen:
                raise NotPlain
            seen.add(key)
            out[str(key)] = value(value_node)
        return out

    try:
        return value(root)
    except NotPlain:
        raise
    except Exception:  # a scalar ruamel's constructor refuses: its own path reports it
        raise NotPlain from None


def _tag_error(tag: str, node: Any, name: str) -> FlowgenError:
    # As written: `!!python/object:os.system`, not its last `:`-separated part.
    prefix = "tag:yaml.org,2002:"
    shown = "!!" + tag[len(prefix) :] if tag.startswith(prefix) else tag
    return FlowgenError(
        f"unsupported YAML tag {shown}; flows are plain YAML",
        path=name,
        position=mark_position(node.start_mark),
    )


def _find_value(mapping: Any, part: str | int) -> tuple[Any, Any] | None:
    """The (key node, value node) pair of `part` in a mapping node; the last one wins."""
    wanted = str(part)
    found = None
    for key_node, value_node in mapping.value:
        if not isinstance(key_node.value, list | tuple) and str(key_node.value) == wanted:
            found = (key_node, value_node)
    return found


def node_position(root: Any, loc: tuple[str | int, ...], *, key: bool = False) -> Position | None:
    """Line and column of the node at `loc` in a composed node graph.

    Same answers as `copilot.flow.load.node_position` gives on a round-trip tree: a value's
    start; for a block mapping, the key that introduces it; for `key`, the key itself.
    Parts of `loc` that are not in the document (pydantic's union tags) are skipped and the
    deepest node reached is returned.
    """
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    node = root
    best: Position | None = Position(1, 1)
    parts = list(loc)
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if isinstance(node, MappingNode) and isinstance(part, str):  # ints index sequences
            pair = _find_value(node, part)
            if pair is None:
                continue
            key_node, value_node = pair
            # A block mapping is best pointed at by the key that introduces it.
            block = isinstance(value_node, MappingNode) and value_node.value and not value_node.flow_style
            if (key and last) or block:
                best = mark_position(key_node.start_mark)
            else:
                best = mark_position(value_node.start_mark)
            node = value_node
        elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            best = mark_position(node.start_mark)
        # anything else is not in the document: skip it
    return best
