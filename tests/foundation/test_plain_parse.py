"""The one-walk construction of a flow's data (`nodes.plain_data`) equals ruamel's two steps.

`plain_data` builds the plain dicts and lists straight from libyaml's node graph; before
issue 16 ruamel's `construct_document` built a tree and `document.to_plain` copied it. The
data, and every error, must be what the two steps give: where the walk is unsure (merge
keys, duplicate keys, keys that are no plain scalar, scalars ruamel refuses) it hands the
whole document to them.
"""

from __future__ import annotations

import json

import pytest

from copilot.errors import FlowgenError
from copilot.flow.document import parse_yaml, to_plain
from copilot.flow.nodes import NotPlain, c_loader, check_nodes, plain_data

from .conftest import EXAMPLES, ROOT


def test_libyamls_c_loader_is_installed():
    # ruamel.yaml.clibz is a dependency on CPython (pyproject.toml): the walk is tested, never skipped
    assert c_loader() is not None


def two_steps(text: str) -> object:
    """The data as before issue 16: ruamel's constructor, then `to_plain`."""
    loader = c_loader()(text)  # type: ignore[misc]
    root = loader.get_single_node()
    return to_plain(loader.construct_document(root))


def one_walk(text: str) -> object:
    loader = c_loader()(text)  # type: ignore[misc]
    root = loader.get_single_node()
    check_nodes(root, "t.yaml", max_nodes=10**6, max_depth=64)
    return plain_data(root, loader)


def same(a: object, b: object) -> bool:
    """Equal, with the same types and key order, NaN equal to NaN."""
    return json.dumps(a, default=repr) == json.dumps(b, default=repr)


PLAIN = {
    "scalars": (
        "a: 0x1F\nb: 0o17\nc: 1_000\nd: .inf\ne: -.inf\nf: .nan\ng: 1e3\nh: +12\ni: 0777\n"
        "j: yes\nk: True\nl: ~\nm: ''\nn: !!str 12\no: !!int '7'\np: !!float 1\nq: -0\n"
    ),
    "keys that are not strings": "1: a\n'1': b\n2.5: c\nfalse: d\n",
    "dates": "d: 2026-11-01\nt: 2026-11-01T10:00:00Z\nu: 2026-11-01 10:00:00.5+02:00\n",
    "aliases expanded": "a: &x [1, 2, {b: c}]\nb: *x\nc: {k: *x}\n",
    "empty": "a: {}\nb: []\nc:\nd: ''\n",
    "nesting": "a: [[1, [2, {b: [3]}]], {c: {d: {e: f}}}]\n",
}


@pytest.mark.parametrize("text", PLAIN.values(), ids=PLAIN.keys())
def test_plain_documents_are_built_as_ruamel_and_to_plain_build_them(text: str) -> None:
    assert same(one_walk(text), two_steps(text))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_flow_is_built_alike(path) -> None:
    text = path.read_text()
    assert same(one_walk(text), two_steps(text))


def test_the_repository_s_flow_fixtures_are_built_alike() -> None:
    checked = 0
    for path in sorted((ROOT / "tests").rglob("*.yaml")):
        text = path.read_text(errors="replace")
        try:
            expected = two_steps(text)
        except Exception:
            continue  # not a document ruamel builds: covered by the fallback tests below
        if not isinstance(expected, dict):
            continue
        try:
            built = one_walk(text)
        except (NotPlain, FlowgenError):
            continue  # handed to ruamel (a merge key, a refused tag): parse_yaml's own path
        assert same(built, expected), path
        checked += 1
    assert checked >= 40  # the fixtures of the repository (50 when this was written)


UNSURE = {
    "merge key": "d: &d {a: 1}\nm:\n  <<: *d\n  b: 2\n",
    "merge list": "x: &x {a: 1}\ny: &y {b: 2}\nz:\n  <<: [*x, *y]\n  c: 3\n",
    "duplicate key": "name: a\nname: b\n",
    "duplicate after construction": "1: x\ntrue: y\n",
    "null key": "~: 1\n",
    "date key": "2026-11-01: x\n",
    "impossible date": "a: 2026-13-45\n",
}


@pytest.mark.parametrize("text", UNSURE.values(), ids=UNSURE.keys())
def test_what_the_walk_does_not_decide_is_left_to_ruamel(text: str) -> None:
    with pytest.raises(NotPlain):
        one_walk(text)


@pytest.mark.parametrize("text", UNSURE.values(), ids=UNSURE.keys())
def test_parse_yaml_gives_the_two_step_answer_where_the_walk_declines(text: str, monkeypatch) -> None:
    def declined() -> object:
        try:
            return parse_yaml(text, "t.yaml").data
        except FlowgenError as exc:
            return str(exc)

    ours = declined()
    # The same parse with the walk switched off: ruamel's constructor and to_plain alone.
    from copilot.flow import nodes

    def always_unsure(root: object, loader: object) -> object:
        raise NotPlain

    monkeypatch.setattr(nodes, "plain_data", always_unsure)
    assert same(ours, declined())


def test_a_plain_flow_is_parsed_without_ruamel_s_constructor(monkeypatch) -> None:
    # The point of the walk (issue 16): no intermediate tree, no `to_plain` copy of it.
    text = EXAMPLES[0].read_text()
    expected = two_steps(text)

    def refuse(self: object, root: object) -> object:
        raise AssertionError("ruamel's constructor ran for a plain flow")

    monkeypatch.setattr(c_loader(), "construct_document", refuse)
    assert same(parse_yaml(text, "f.yaml").data, expected)
