"""Each example brief drafts (offline) to a flow with the same trigger, side effects and
conditions as its hand-written example in examples/flows/.

A side effect is an http call that is not a GET. A drafted side effect matches a
hand-written one when they name the same destination (a word of the step id or of the
URL's environment variable, e.g. `crm`, `pager`/`oncall`, `slack`), and it must be
conditional exactly when the hand-written one is (an `if:` of its own, or needs that are all
conditional).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from copilot.draft.drafting import DraftOptions, draft
from copilot.draft.request import make_request
from copilot.flow.load import load_flow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples/briefs").glob("*.md"))
_SYNONYMS = {"pagerduty": "pager", "oncall": "pager", "page": "pager", "on": "", "call": ""}


def _words(step) -> set[str]:
    url = step.request.url if step.type == "http" else ""
    text = f"{step.id} {url}".lower().replace("${env:", " ").replace("}", " ")
    words = {_SYNONYMS.get(w, w) for w in re.split(r"[^a-z]+", text)}
    return {w for w in words if len(w) >= 3 and w not in ("url", "api", "env", "events", "http", "https")}


def _conditional(flow, step, seen: frozenset = frozenset()) -> bool:
    """Runs only for some events: its own `if`, or every step it needs is conditional
    (a step whose needs were all skipped is skipped too)."""
    if step.if_:
        return True
    needs = [flow.step(n) for n in step.needs if n not in seen]
    return bool(needs) and all(_conditional(flow, n, seen | {step.id}) for n in needs)


def _side_effects(flow) -> list:
    return [s for s in flow.steps if s.type == "http" and s.request.method != "GET"]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_brief_drafts_like_its_hand_written_flow(path, tmp_path):
    hand = load_flow(ROOT / "examples/flows" / f"{path.stem}.yaml").flow
    out = tmp_path / "drafted.yaml"
    outcome = draft(make_request(f"@{path}"), DraftOptions(provider="offline", out=str(out), own_test=False))
    assert outcome.written, outcome.error
    drafted = load_flow(out).flow
    assert drafted.trigger.type == hand.trigger.type
    effects = _side_effects(drafted)
    for wanted in _side_effects(hand):
        match = [s for s in effects if _words(s) & _words(wanted)]
        assert match, (
            f"no drafted side effect like `{wanted.id}` ({_words(wanted)}) in {[s.id for s in effects]}"
        )
        got = _conditional(drafted, match[0])
        assert got == _conditional(hand, wanted), (wanted.id, wanted.if_, match[0].id, match[0].if_)
    # and nothing the hand-written flow does not do
    extra = [s.id for s in effects if not any(_words(s) & _words(w) for w in _side_effects(hand))]
    assert extra == [], extra
