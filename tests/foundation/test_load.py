"""Loading with positions, and every hostile or odd input refused in one line with exit 2."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from copilot.errors import FlowgenError, Position
from copilot.flow import nodes
from copilot.flow.load import (
    MAX_FILE_BYTES,
    Document,
    load_document,
    load_flow,
    load_flow_text,
    node_position,
    parse_yaml,
)

from .conftest import EXAMPLES, MINIMAL_FLOW, flowgen


def _bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
        previous = name
    return "\n".join(lines) + "\n"


# name -> (file content, fragment of the message, expected "line:col" or None when positionless)
HOSTILE: dict[str, tuple[bytes, str, str | None]] = {
    "yaml-syntax": (b"apiVersion: flowgen/v1\nsteps: [1, 2\nkind: Flow\n", "YAML syntax", "3:5"),
    "schema-violation": (
        MINIMAL_FLOW.replace("kind: Flow", "kind: Flo").encode(),
        "`kind`: Input should be 'Flow'",
        "2:7",
    ),
    "bad-duration": (
        MINIMAL_FLOW.replace("timeout: 900ms", "timeout: 900").encode(),
        "`steps[0].timeout`: `900` has no unit; use a number with a unit",
        "16:14",
    ),
    "alias-bomb": (_bomb().encode(), "aliases expand to more than 200,000 nodes", None),
    "over-size-cap": (b"# padding\n" * (MAX_FILE_BYTES // 10 + 1), "flow files are capped at", None),
    "binary-junk": (b"apiVersion: flowgen/v1\n\x00\x01\x02\xff\xfe", "binary data (NUL byte)", "2:1"),
    "non-utf8": (b"apiVersion: flowgen/v1\nname: caf\xe9\n", "not UTF-8 (byte 0xe9)", "2:10"),
    "empty-file": (b"", "empty file", None),
    "comment-only": (b"# a flow, some day\n\n   # nothing yet\n", "empty file", None),
    "top-level-list": (b"- apiVersion: flowgen/v1\n- kind: Flow\n", "the document is a list", "1:1"),
    "top-level-scalar": (b"flowgen/v1\n", "the document is a single value", "1:1"),
    "several-documents": (
        b"apiVersion: flowgen/v1\n---\nkind: Flow\n",
        "several YAML documents in one file",
        "2:1",
    ),
    "duplicate-keys": (
        b"apiVersion: flowgen/v1\nkind: Flow\nname: a\nname: b\n",
        'duplicate key "name"',
        "4:1",
    ),
    "recursive-alias": (b"apiVersion: &x\n  kind: *x\n", "alias refers to itself", "1:13"),
    "unknown-yaml-tag": (
        b"apiVersion: !python/object flowgen/v1\n",
        "unsupported YAML tag !python/object",
        "1:13",
    ),
    "binary-tag": (b"apiVersion: !!binary Zmxvd2dlbi92MQ==\n", "unsupported YAML tag !!binary", "1:13"),
    "python-object-tag": (
        b"apiVersion: flowgen/v1\nname: !!python/object:os.system x\n",
        "unsupported YAML tag !!python/object:os.system;",  # the real tag, not `!!os.system`
        "2:7",
    ),
    "complex-key": (b"apiVersion: flowgen/v1\n? [a, b]\n: c\n", "unsupported mapping key (a list)", "2:3"),
    "unclosed-flow-map": (
        b"apiVersion: flowgen/v1\nsteps: [{id: a,\n  type: model\nrespond: {}\n",
        "or '}'",  # libyaml and ruamel word it differently
        "4:8",
    ),
    "unclosed-flow-map-opened-at": (
        b"apiVersion: flowgen/v1\nsteps: [{id: a,\n  type: model\nrespond: {}\n",
        "; the `{` opened at 2:9",
        "4:8",
    ),
    "unclosed-quote": (b'apiVersion: flowgen/v1\nname: "x\n', "; the quote opened at 2:7", "3:1"),
    "deep-nesting": (b"a: " + b"[" * 100 + b"]" * 100 + b"\n", "nesting deeper than 64 levels", "1:"),
}


def check_one_line_refusal(path: str, code: int, stdout: str, stderr: str, fragment: str, where: str | None):
    assert code == 2, stderr
    assert "Traceback" not in stderr + stdout
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    line = lines[0]
    assert fragment in line
    prefix = f"{path}:{where}" if where else f"{path}: "
    assert line.startswith(prefix), line


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_input_is_refused_through_the_cli(case: str, tmp_path: Path) -> None:
    content, fragment, where = HOSTILE[case]
    path = tmp_path / f"{case}.yaml"
    path.write_bytes(content)
    run = flowgen("validate", str(path))
    check_one_line_refusal(str(path), run.code, run.stdout, run.stderr, fragment, where)


def test_a_directory_stands_for_the_flows_under_it_as_in_lint(tmp_path: Path) -> None:
    run = flowgen("validate", str(tmp_path))  # empty: nothing to validate is an error
    check_one_line_refusal(str(tmp_path), run.code, run.stdout, run.stderr, "no flow files here", None)
    (tmp_path / "a.yaml").write_text(MINIMAL_FLOW)
    (tmp_path / "notes.yaml").write_text("a: 1\n")  # not a flow: skipped, as lint does
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "b.yaml").write_text(MINIMAL_FLOW.replace("apiVersion: flowgen/v1\n", ""))  # kind: Flow only
    run = flowgen("validate", "--no-summary", str(tmp_path))
    assert run.code == 2
    assert f"{tmp_path / 'a.yaml'}: valid" in run.stdout and "notes.yaml" not in run.stdout + run.stderr
    assert run.stderr == f"{sub / 'b.yaml'}:1:1: FG002 `apiVersion` is required\n"


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    run = flowgen("validate", str(path))
    check_one_line_refusal(str(path), run.code, run.stdout, run.stderr, "no such file", None)
    assert run.stderr == f"{path}: no such file\n"  # no finding code: not a YAML syntax error (FG001)
    as_json = flowgen("validate", "--format", "json", str(path))
    assert as_json.code == 2
    (error,) = json.loads(as_json.stdout)["files"][0]["errors"]
    assert error == {
        "kind": "no-such-file",
        "code": None,
        "message": "no such file",
        "path": str(path),
        "line": None,
        "column": None,
    }


def test_stdin_is_read_with_dash() -> None:
    good = flowgen("validate", "-", stdin=MINIMAL_FLOW.encode())
    assert good.code == 0 and "<stdin>: valid" in good.stdout
    bad = flowgen("validate", "-", stdin=b"a: [1\n")
    check_one_line_refusal("<stdin>", bad.code, bad.stdout, bad.stderr, "YAML syntax", "2:1")


@pytest.fixture(params=["libyaml", "round-trip"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a test with libyaml's C parser and again with the pure-Python fallback."""
    if request.param == "round-trip":
        monkeypatch.setattr(nodes, "c_loader", lambda: None)
    else:
        assert nodes.c_loader() is not None, "ruamel.yaml.clibz should be installed"
    yield request.param


@pytest.mark.parametrize(
    "case",
    sorted(set(HOSTILE) - {"over-size-cap", "binary-junk", "non-utf8", "schema-violation", "bad-duration"}),
)
def test_both_parsers_refuse_hostile_yaml(case: str, parser: str) -> None:
    content, fragment, where = HOSTILE[case]
    with pytest.raises(FlowgenError) as info:
        parse_yaml(content.decode(), "f.yaml")
    err = info.value
    assert err.path == "f.yaml"
    assert "\n" not in str(err)
    assert fragment in err.message
    if where is not None:
        assert err.position is not None and f"{err.position.line}:{err.position.col}".startswith(where)


def test_every_example_loads(parser: str) -> None:
    for path in EXAMPLES:
        loaded = load_flow(path)
        assert loaded.flow.name == path.stem
        assert loaded.path == str(path)


def all_locs(data: object, prefix: tuple = ()) -> Iterator[tuple]:
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from all_locs(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from all_locs(value, (*prefix, index))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_node_positions_match_the_round_trip_tree(path: Path) -> None:
    """libyaml's node graph and ruamel's round-trip tree point at the same place for every node."""
    doc = load_document(path)
    assert doc.nodes is not None  # the C parser ran
    tree = doc.tree  # built on demand from the same text
    checked = 0
    for loc in all_locs(doc.data):
        for key in (False, True):
            assert doc.position(loc, key=key) == node_position(tree, loc, key=key), (loc, key)
            checked += 1
    assert checked > 100
    # Union tags that pydantic adds to locations are skipped in both.
    loc = ("steps", 0, "model", "timeout")
    assert doc.position(loc) == node_position(tree, loc)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_both_parsers_give_the_same_data(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = load_document(path)
    monkeypatch.setattr(nodes, "c_loader", lambda: None)
    slow = load_document(path)
    assert slow.nodes is None
    assert fast.data == slow.data


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("on: yes\nno: off\n", {"on": "yes", "no": "off"}),  # YAML 1.2: not booleans
        ("a: 0777\nb: 0o17\nc: 0x1F\nd: 1_000\n", {"a": 777, "b": 15, "c": 31, "d": 1000}),
        ("version: 2026-11-01\n", {"version": "2026-11-01"}),
        (
            "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n",
            {"base": {"x": 1, "y": 2}, "other": {"x": 1, "y": 3}},
        ),
        ("a: ~\nb: .inf\nc: -.5\nd: 'x'\ne: |\n  two\n  lines\n", None),
    ],
)
def test_scalars_resolve_as_yaml_1_2_in_both_parsers(
    text: str, data: dict | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = parse_yaml(text, "f.yaml").data
    monkeypatch.setattr(nodes, "c_loader", lambda: None)
    slow = parse_yaml(text, "f.yaml").data
    assert fast == slow
    if data is not None:
        assert fast == data


def test_a_yaml_1_1_directive_is_honoured_by_falling_back_to_round_trip() -> None:
    doc = parse_yaml("%YAML 1.1\n---\nenabled: yes\n", "f.yaml")
    assert doc.nodes is None
    assert doc.data == {"enabled": True}


def test_document_positions_point_at_keys_and_values() -> None:
    doc = parse_yaml(MINIMAL_FLOW, "f.yaml")
    assert doc.position(("steps", 0, "timeout")) == Position(16, 14)
    assert doc.position(("steps", 0, "timeout"), key=True) == Position(16, 5)
    assert doc.position(("steps", 0)) == Position(12, 5)
    assert doc.position(("trigger",)) == Position(5, 1)  # a block mapping: its key
    assert doc.position(("trigger", "auth")) == Position(8, 9)  # a flow mapping: its brace
    assert doc.position(("respond", "needs")) == Position(18, 10)
    assert doc.position(("respond", "needs", 0)) == Position(18, 11)
    assert doc.position(("nothing", "here")) == Position(1, 1)
    assert doc.position(("steps", 99, "timeout")) == Position(12, 3)  # the deepest node reached


def test_the_round_trip_tree_is_built_only_on_demand() -> None:
    doc = parse_yaml("# a comment\napiVersion: flowgen/v1  # why\n", "f.yaml")
    assert isinstance(doc, Document)
    assert doc._tree is None
    tree = doc.tree
    assert tree["apiVersion"] == "flowgen/v1"
    assert doc.tree is tree
    assert "why" in str(tree.ca.items["apiVersion"])


def test_load_flow_text_reports_the_first_error_positioned() -> None:
    with pytest.raises(FlowgenError) as info:
        load_flow_text(MINIMAL_FLOW.replace("name: minimal", "name: Not Kebab"), "f.yaml")
    assert str(info.value).startswith("f.yaml:3:7: `name`: String should match pattern")


def test_an_impossible_date_is_a_clear_error() -> None:
    with pytest.raises(FlowgenError, match=r"invalid YAML value: month must be in 1\.\.12"):
        parse_yaml("version: 2026-13-45\n", "f.yaml")


def test_read_errors_are_flowgen_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    unreadable = tmp_path / "locked.yaml"
    unreadable.write_text(MINIMAL_FLOW)
    calls: list[Callable] = []

    def deny(self: Path) -> bytes:
        calls.append(deny)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", deny)
    with pytest.raises(FlowgenError, match="permission denied"):
        load_document(unreadable)
    assert calls
