"""Property tests: whatever text or YAML data arrives, loading raises only FlowgenError."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copilot.errors import FlowgenError
from copilot.flow import nodes
from copilot.flow.load import decode, load_flow_text, parse_yaml

from .conftest import MINIMAL_FLOW

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that looks like YAML more often than uniformly random characters would.
YAMLISH = st.text(
    alphabet=st.sampled_from([*"abc:-[]{}&*!|>'\"#%@`?,\n \t0123456789.~=<$", "\x00", "é", "\ufeff"]),
    max_size=200,
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
DATA = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.one_of(st.text(max_size=12), st.integers()), children, max_size=5),
    ),
    max_leaves=30,
)


def only_flowgen_errors(call) -> None:
    try:
        call()
    except FlowgenError as exc:
        assert str(exc) and "\n" not in str(exc).strip()


@pytest.fixture(params=["libyaml", "round-trip"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "round-trip":
        monkeypatch.setattr(nodes, "c_loader", lambda: None)
    return request.param


@SETTINGS
@given(text=st.one_of(st.text(max_size=300), YAMLISH))
def test_arbitrary_text(text: str) -> None:
    only_flowgen_errors(lambda: parse_yaml(text, "t.yaml"))
    only_flowgen_errors(lambda: load_flow_text(text, "t.yaml"))


@SETTINGS
@given(raw=st.binary(max_size=300))
def test_arbitrary_bytes(raw: bytes) -> None:
    only_flowgen_errors(lambda: load_flow_text(decode(raw, "b.yaml"), "b.yaml"))


def dump(data: object) -> str:
    from ruamel.yaml import YAML

    buf = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.dump(data, buf)
    return buf.getvalue()


@SETTINGS
@given(data=DATA)
def test_arbitrary_yaml_data(data: object) -> None:
    text = dump(data)
    only_flowgen_errors(lambda: load_flow_text(text, "d.yaml"))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.dictionaries(st.text(max_size=12), DATA, max_size=6))
def test_arbitrary_data_mixed_into_a_real_flow(data: dict) -> None:
    """Real flow keys next to junk, and junk in place of real values."""
    base = parse_yaml(MINIMAL_FLOW, "m.yaml").data
    for key, value in data.items():
        target = base["steps"][0] if len(key) % 2 else base
        target[key[:1] or "timeout"] = value
    only_flowgen_errors(lambda: load_flow_text(dump(base), "m.yaml"))


def test_both_parsers_under_hypothesis(parser: str) -> None:
    """The same properties hold with the pure-Python fallback parser."""

    @settings(max_examples=100, deadline=None)
    @given(text=YAMLISH, data=DATA)
    def check(text: str, data: object) -> None:
        only_flowgen_errors(lambda: load_flow_text(text, "t.yaml"))
        only_flowgen_errors(lambda: load_flow_text(dump(data), "d.yaml"))

    check()
