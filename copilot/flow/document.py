"""A flow file's YAML: text read with refusals, parsed into a `Document` with positions.

Every node keeps its line and column (libyaml's C parser where installed, else ruamel's
round-trip loader), so an error in a flow points at the offending key or value.
Everything that can go wrong with user input ends in a `FlowgenError` carrying
``file:line:col``; nothing else escapes. Schema validation and the analysed flow are in
`copilot.flow.load` (docs/architecture.md, "The analysed flow"); the catalog reads its
YAML files here, below the flow's analysis.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from copilot.errors import FlowgenError, Position
from copilot.flow.nodes import NotPlain, plain_scalar

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

MAX_FILE_BYTES = 1_000_000
"""Largest flow file read: a real flow is a few kilobytes; a 500-step one is ~150 KB."""

MAX_EXPANDED_NODES = 200_000
"""Largest number of nodes after alias expansion (refuses billion-laughs documents)."""

MAX_EXPANDED_BYTES = 10_000_000
"""Most bytes of scalar text after alias expansion: ten times the file cap (refuses one big
string aliased thousands of times, which few nodes would let through)."""

MAX_DEPTH = 64


class NoSuchFile(FlowgenError):
    """The path names no file: a typo on the command line, not a problem of a flow's YAML."""

    def __init__(self, path: str) -> None:
        super().__init__("no such file", path=path)


class Document:
    """A parsed YAML document: the plain data, where each node is, and the text.

    Positions come from the node graph libyaml composed (`nodes`) or, where that C
    extension is missing, from the round-trip tree. The round-trip tree itself, which keeps
    comments for editing, is built on first use of `tree`: most commands never need it.
    """

    def __init__(
        self, path: str, text: str, data: dict[str, Any], *, nodes: Any = None, tree: Any = None
    ) -> None:
        self.path = path
        self.text = text
        self.data = data
        self.nodes = nodes  # ruamel MappingNode from the C parser, or None
        self._tree = tree

    @property
    def tree(self) -> Any:
        """The ruamel round-trip CommentedMap (positions and comments)."""
        if self._tree is None:
            self._tree = _round_trip_tree(self.text, self.path)
        return self._tree

    def position(self, loc: tuple[str | int, ...], *, key: bool = False) -> Position | None:
        """Where the node at `loc` starts (its key when `key`), best effort."""
        if self.nodes is not None:
            from copilot.flow.nodes import node_position as in_nodes

            return in_nodes(self.nodes, loc, key=key)
        return node_position(self.tree, loc, key=key)

    def __repr__(self) -> str:
        return f"Document(path={self.path!r}, keys={list(self.data)!r})"


def _yaml() -> Any:
    from ruamel.yaml import YAML

    from copilot.flow.nodes import flow_resolver

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.Resolver = flow_resolver()
    return yaml


def read_text(path: str | Path, *, max_bytes: int = MAX_FILE_BYTES, what: str = "flow files") -> str:
    """The file's text, refusing missing, oversized, binary and non-UTF-8 files.

    `what` names the kind of file in the size error ("events are capped at …").
    """
    name = str(path)
    if name == "-":
        import sys

        raw = sys.stdin.buffer.read(max_bytes + 1)
        name = "<stdin>"
    else:
        p = Path(path)
        try:
            if p.is_dir():
                raise FlowgenError("is a directory, not a flow file", path=name)
            size = p.stat().st_size
            if size > max_bytes:
                raise FlowgenError(
                    f"file is {size:,} bytes; {what} are capped at {max_bytes:,} bytes", path=name
                )
            raw = p.read_bytes()
        except FileNotFoundError:
            raise NoSuchFile(name) from None
        except PermissionError:
            raise FlowgenError("permission denied", path=name) from None
        except OSError as exc:
            raise FlowgenError(f"cannot read: {exc.strerror or exc}", path=name) from None
    return decode(raw, name, max_bytes=max_bytes, what=what)


def decode(raw: bytes, name: str, *, max_bytes: int = MAX_FILE_BYTES, what: str = "flow files") -> str:
    """UTF-8 text from `raw`, with a positioned error for binary or badly encoded input."""
    if len(raw) > max_bytes:
        raise FlowgenError(f"input is over {max_bytes:,} bytes; {what} are capped there", path=name)
    if b"\x00" in raw:
        offset = raw.index(b"\x00")
        raise FlowgenError(
            "binary data (NUL byte): a flow file is UTF-8 YAML text",
            path=name,
            position=_offset_position(raw, offset),
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FlowgenError(
            f"not UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            path=name,
            position=_offset_position(raw, exc.start),
        ) from None
    return text


def _offset_position(raw: bytes, offset: int) -> Position:
    before = raw[:offset]
    line = before.count(b"\n") + 1
    col = offset - (before.rfind(b"\n") + 1) + 1
    return Position(line, col)


class _JsonRefusal(ValueError):
    pass


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _JsonRefusal(f"duplicate key {key!r} (JSON objects need unique keys; the last would win)")
        out[key] = value
    return out


def _no_constant(word: str) -> Any:
    raise _JsonRefusal(f"{word} is not JSON (a number must be finite)")


def _finite(text: str) -> float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise _JsonRefusal(f"the number {text[:40]} is out of range (a number must be finite)")
    return value


def strict_json(text: str, name: str, *, what: str = "event") -> Any:
    """Parse JSON as RFC 8259 has it: NaN, Infinity, overflowing numbers and duplicate keys
    are refused (Python's `json` accepts all four; the last duplicate would silently win)."""
    import json

    try:
        return json.loads(
            text, object_pairs_hook=_unique_pairs, parse_constant=_no_constant, parse_float=_finite
        )
    except json.JSONDecodeError as exc:
        raise FlowgenError(
            f"not JSON: {exc.msg}", path=name, position=Position(exc.lineno, exc.colno)
        ) from None
    except _JsonRefusal as exc:
        raise FlowgenError(f"{what}: {exc}", path=name) from None
    except RecursionError:
        raise FlowgenError(f"{what}: nested too deeply", path=name) from None
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise FlowgenError(f"{what}: {' '.join(str(exc).split())}", path=name) from None


_YAML_DIRECTIVE = re.compile(r"^%YAML", re.M)


def parse_yaml(text: str, name: str) -> Document:
    """Parse one YAML mapping document, refusing everything a flow file cannot be."""
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        raise FlowgenError(
            "empty file: a flow is a YAML mapping starting with `apiVersion: flowgen/v1`", path=name
        )
    from copilot.flow.nodes import c_loader

    loader = c_loader()
    # libyaml ignores a `%YAML 1.1` directive's resolution rules; the round-trip loader honours them.
    if loader is not None and not _YAML_DIRECTIVE.search(text):
        doc = _parse_with_c(loader, text, name)
        if doc is not None:
            return doc
        # libyaml refused the syntax. Some valid YAML 1.2 it does not accept (a plain scalar
        # with `? ` inside a flow mapping): ruamel's parser below decides, and its error
        # is the one reported when it refuses too.
    # The same node checks as the C path, on ruamel's pure-Python composition: its
    # constructor would quietly turn a recursive alias into None.
    with _yaml_errors(name):
        root = _yaml().compose(io.StringIO(text))
    if root is not None:
        from copilot.flow.nodes import check_nodes

        check_nodes(
            root, name, max_nodes=MAX_EXPANDED_NODES, max_depth=MAX_DEPTH, max_bytes=MAX_EXPANDED_BYTES
        )
    tree = _round_trip_tree(text, name)
    return Document(path=name, text=text, data=to_plain(tree, name), tree=tree)


def _parse_with_c(loader_class: Any, text: str, name: str) -> Document | None:
    """The document through libyaml, or None when libyaml refuses the syntax."""
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    from copilot.flow.nodes import check_nodes, plain_data

    loader = loader_class(text)
    try:
        root = loader.get_single_node()
    except YAMLError:
        return None
    if root is None:
        raise _empty_document(name)
    if not isinstance(root, MappingNode):
        raise _not_a_mapping("a list" if isinstance(root, SequenceNode) else "a single value", name)
    check_nodes(root, name, max_nodes=MAX_EXPANDED_NODES, max_depth=MAX_DEPTH, max_bytes=MAX_EXPANDED_BYTES)
    try:
        data = plain_data(root, loader)
    except NotPlain:  # a merge key, a duplicate key, a bad scalar: ruamel decides, as always
        with _yaml_errors(name):
            constructed = loader.construct_document(root)
        data = to_plain(constructed, name)
    return Document(path=name, text=text, data=data, nodes=root)


def _round_trip_tree(text: str, name: str) -> Any:
    with _yaml_errors(name):
        tree = _yaml().load(io.StringIO(text))
    if tree is None:
        raise _empty_document(name)
    if not isinstance(tree, dict):
        raise _not_a_mapping("a list" if isinstance(tree, list) else "a single value", name)
    return tree


@contextmanager
def _yaml_errors(name: str) -> Iterator[None]:
    """Every way ruamel or libyaml fails on bad input, as one positioned FlowgenError."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        yield
    except MarkedYAMLError as exc:
        raise _yaml_error(exc, name) from None
    except YAMLError as exc:
        raise FlowgenError(f"invalid YAML: {' '.join(str(exc).split())}", path=name) from None
    except RecursionError:
        raise FlowgenError("YAML nesting too deep", path=name) from None
    except (ValueError, TypeError, OverflowError) as exc:
        # Some malformed scalars (an impossible date) surface as plain Python errors.
        raise FlowgenError(f"invalid YAML value: {exc}", path=name) from None


def _empty_document(name: str) -> FlowgenError:
    return FlowgenError(
        "empty document: a flow is a YAML mapping starting with `apiVersion: flowgen/v1`", path=name
    )


def _not_a_mapping(kind: str, name: str) -> FlowgenError:
    return FlowgenError(
        f"the document is {kind}; a flow is a mapping (`apiVersion: flowgen/v1`, `kind: Flow`, …)",
        path=name,
        position=Position(1, 1),
    )


def _yaml_error(exc: Any, name: str) -> FlowgenError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    cls = type(exc).__name__
    if cls == "DuplicateKeyError" or "duplicate key" in str(problem):
        problem = "duplicate key " + str(problem).split("duplicate key", 1)[-1].strip()
        problem = problem.replace("\n", " ")
    elif "expected a single document" in str(exc.context or "") or "but found another document" in str(
        problem
    ):
        problem = "several YAML documents in one file; put one flow per file"
    position = Position(mark.line + 1, mark.column + 1) if mark is not None else None
    message = " ".join(str(problem).split())
    if len(message) > 300:  # a duplicate key's message quotes both values, whatever their size
        message = message[:300] + "…"
    opened = _opened_at(exc)
    return FlowgenError(f"YAML syntax: {message}{opened}", path=name, position=position)


_OPENERS = {
    "flow mapping": "`{`",
    "flow sequence": "`[`",
    "quoted scalar": "quote",
    "block mapping": "mapping",
}


def _opened_at(exc: Any) -> str:
    """Where the construct that was never closed began (``; the `{` opened at 4:8``), if elsewhere."""
    context, start, end = str(exc.context or ""), exc.context_mark, exc.problem_mark
    if start is None or end is None or (start.line, start.column) == (end.line, end.column):
        return ""
    what = next((shown for key, shown in _OPENERS.items() if key in context), None)
    if what is None:
        return ""
    return f"; the {what} opened at {start.line + 1}:{start.column + 1}"


def to_plain(node: Any, name: str = "<flow>") -> Any:
    """ruamel's round-trip types as plain dict/list/str/int/float/bool/None."""
    from ruamel.yaml.comments import TaggedScalar

    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if not isinstance(key, str | int | float | bool) or key is None:
                raise FlowgenError(
                    f"unsupported mapping key {key!r}; keys are strings",
                    path=name,
                    position=_key_position(node, key),
                )
            out[str(key)] = to_plain(value, name)
        return out
    if isinstance(node, list):
        return [to_plain(item, name) for item in node]
    if isinstance(node, TaggedScalar):
        tag = _tag_text(node.tag)
        raise FlowgenError(f"unsupported YAML tag {tag}; flows are plain YAML", path=name)
    try:
        return plain_scalar(node)
    except NotPlain:
        pass
    tags: dict[type, str] = {bytes: "!!binary", set: "!!set", tuple: "!!pairs"}
    unsupported = tags.get(type(node))
    if unsupported is not None:
        raise FlowgenError(f"unsupported YAML tag {unsupported}; flows are plain YAML", path=name)
    raise FlowgenError(f"unsupported YAML value of type {type(node).__name__}", path=name)


def _tag_text(tag: Any) -> str:
    """A tag as written (``!!python/object:os.system``), not ruamel's shortened form."""
    handle, suffix = getattr(tag, "handle", None), getattr(tag, "suffix", None)
    if handle and suffix:
        return f"{handle}{suffix}"
    return str(getattr(tag, "value", tag))


def _key_position(node: Any, key: Any) -> Position | None:
    try:
        line, col = node.lc.key(key)
    except (AttributeError, KeyError, TypeError):
        return None
    return Position(line + 1, col + 1)


def loc_path(loc: tuple[str | int, ...], root: str | None = None) -> str:
    """`loc` written as a path, `steps[0].timeout`; after a `root`, `$.steps[0].timeout`."""
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return text.removeprefix(".") if root is None else root + text


def node_position(tree: Any, loc: tuple[str | int, ...], *, key: bool = False) -> Position | None:
    """Line and column of the node at `loc` in a ruamel tree.

    Parts of `loc` that do not exist in the tree (pydantic's union tags such as
    ``'model'`` in ``steps.0.model.timeout``) are skipped, so a validation error's
    location finds its node. The deepest node reached is returned.
    """
    node = tree
    best: Position | None = Position(1, 1)
    parts = list(loc)
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if isinstance(node, dict) and part in node:
            lc = getattr(node, "lc", None)
            if lc is not None:
                try:
                    line, col = lc.key(part) if (key and last) else lc.value(part)
                    if not (key and last):
                        child = node[part]
                        child_lc = getattr(child, "lc", None)
                        if isinstance(child, dict | list) and child_lc is not None and child:
                            line, col = child_lc.line, child_lc.col
                            # For a block mapping the key of the parent is the better anchor.
                            if isinstance(child, dict) and not cast("CommentedMap", child).fa.flow_style():
                                line, col = lc.key(part)
                    best = Position(line + 1, col + 1)
                except (KeyError, TypeError, AttributeError):
                    pass
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            lc = getattr(node, "lc", None)
            if lc is not None:
                try:
                    line, col = lc.item(part)
                    best = Position(line + 1, col + 1)
                except (KeyError, TypeError, AttributeError):
                    pass
            node = node[part]
        else:
            continue
    return best


def load_document(path: str | Path) -> Document:
    """Read and parse a flow file's YAML (no schema check)."""
    name = "<stdin>" if str(path) == "-" else str(path)
    return parse_yaml(read_text(path), name)
