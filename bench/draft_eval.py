"""Drafting dev set evaluator: do offline drafts do what their briefs ask?

    .venv/bin/python bench/draft_eval.py                  # table + score
    .venv/bin/python bench/draft_eval.py --only fraud-card-block --verbose
    .venv/bin/python bench/draft_eval.py --json           # machine-readable
    .venv/bin/python bench/draft_eval.py --cli -j 4       # through the real `flowgen draft` CLI

Each file of `tests/data/devset/*.yaml` holds a brief as a user would paste it and the
machine-checked expectations of a correct flow for it (the format is in bench/README.md,
"Drafting dev set", and checked by `validate_case`). The brief is drafted offline
into a temporary folder, the written flow file is loaded as plain data and every
expectation is scored as one check. Only the flow file and the draft's JSON summary are
judged, never the drafter's internals; step ids are the drafter's choice, so steps are
found by regular expressions over what they say they do.

Check kinds (each expectation is one check):

- ``trigger``: ``trigger.type`` equals the expected kind.
- ``sla``: ``sla.latency_p95`` equals ``sla_ms``. When ``sla_ms`` is null (the brief gives
  no number), any value passes if the draft says it is a default: an entry of the
  summary's ``assumptions``/``warnings``/``unmapped`` mentions the SLA or latency (CLI
  fallback without JSON: a comment in the file says so).
- ``budget``: ``sla.max_cost_per_event`` equals ``budget_usd``; null: no budget, or the
  summary says the budget is assumed.
- ``side_effect``: a step that writes out (an ``http`` step whose method is not GET)
  matches ``match`` over its id, description, request url and ``why.brief``. Side effects
  are assigned to distinct steps (a step cannot count for two side effects).
- ``side_effect_when``: the assigned step's effective condition (its ``if``, or, when it
  has none and all of its needs are conditional, theirs) matches ``when``; ``when: null``
  means the step must run unconditionally. Omit ``when`` to skip this check.
- ``forbid``: no step's id or description matches the regex.
- ``grounded``: at least one model step's free-text output reaches ``respond.body``
  (directly or through validate/transform steps; enum, number and boolean fields are not
  free text), and every such model step has a retrieve step among its transitive needs.
  The answer is what the caller reads; text sent elsewhere (a summary for the CRM) is a
  record, which the documents need not ground (the same reading as lint rule FG406).
- ``order`` ``[a, b]``: some step matching b transitively needs a different step matching a,
  and no step matching a (only) transitively needs one matching b (only): not the wrong way round.
- ``no_wait`` ``[urgent, slow]``: a step matches urgent, and no step matching urgent (and
  not slow) transitively needs a step matching slow (and not urgent).

Order and no_wait match steps by id, ``type:<type>``, description and request url (not
``why.brief``, which quotes the brief and often names both ends of a pair).

Exit 0 always (a benchmark, not a test), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT / "tests" / "data" / "devset"
TRIGGERS = ("webhook", "queue", "schedule")
KINDS = (
    "trigger",
    "sla",
    "budget",
    "side_effect",
    "side_effect_when",
    "forbid",
    "grounded",
    "order",
    "no_wait",
)
EXPECT_KEYS = {"trigger", "sla_ms", "budget_usd", "side_effects", "forbid", "grounded", "order", "no_wait"}
DRAFT_TIMEOUT_S = 60.0

_UNITS = {"ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0, "d": 86_400_000.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_REF = re.compile(r"steps\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)\s*\.\s*output((?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)?)")
_REF_ITEM = re.compile(r"""steps\s*\[\s*['"]([^'"]+)['"]\s*\]""")


# ---------------------------------------------------------------------------- dev set


def _yaml():
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True)


def load_devset(devset_dir: str | Path = DEVSET) -> list[dict[str, Any]]:
    """Every ``*.yaml`` case of the dev set, sorted by file name, as plain dicts."""
    cases = []
    for path in sorted(Path(devset_dir).glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            data = _yaml().load(fh)
        if isinstance(data, dict):
            data.setdefault("_path", str(path))
        cases.append(data)
    return cases


def _regex_errors(where: str, value: Any) -> list[str]:
    if not isinstance(value, str) or not value:
        return [f"{where}: must be a non-empty regex string"]
    try:
        re.compile(value, re.IGNORECASE)
    except re.error as exc:
        return [f"{where}: bad regex {value!r}: {exc}"]
    return []


def validate_case(case: Any) -> list[str]:
    """What is wrong with one dev set case (empty when it is well formed)."""
    if not isinstance(case, dict):
        return ["the file is not a mapping"]
    errors = []
    for key in ("id", "domain", "brief", "expect"):
        if key not in case:
            errors.append(f"missing {key}")
    if errors:
        return errors
    if not isinstance(case["id"], str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", case["id"]):
        errors.append("id: lower-case kebab-case string")
    path = case.get("_path")
    if path and isinstance(case["id"], str) and Path(path).stem != case["id"]:
        errors.append(f"id {case['id']!r} differs from the file name {Path(path).name}")
    if not isinstance(case["domain"], str) or not case["domain"]:
        errors.append("domain: non-empty string")
    if not isinstance(case["brief"], str) or len(case["brief"].split()) < 10:
        errors.append("brief: non-empty text of at least ten words")
    exp = case["expect"]
    if not isinstance(exp, dict):
        return [*errors, "expect: must be a mapping"]
    unknown = set(exp) - EXPECT_KEYS
    if unknown:
        errors.append(f"expect: unknown keys {sorted(unknown)}")
    if exp.get("trigger") not in TRIGGERS:
        errors.append(f"expect.trigger: one of {TRIGGERS}")
    for key in ("sla_ms", "budget_usd"):
        if key in exp and exp[key] is not None:
            value = exp[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                errors.append(f"expect.{key}: a positive number or null")
    for i, se in enumerate(exp.get("side_effects") or []):
        where = f"expect.side_effects[{i}]"
        if not isinstance(se, dict):
            errors.append(f"{where}: mapping with name, match, when")
            continue
        if not isinstance(se.get("name"), str) or not se.get("name"):
            errors.append(f"{where}.name: non-empty string")
        errors += _regex_errors(f"{where}.match", se.get("match"))
        if "when" in se and se["when"] is not None:
            errors += _regex_errors(f"{where}.when", se["when"])
        extra = set(se) - {"name", "match", "when"}
        if extra:
            errors.append(f"{where}: unknown keys {sorted(extra)}")
    if "side_effects" in exp and not isinstance(exp["side_effects"], list):
        errors.append("expect.side_effects: a list")
    if "forbid" in exp and not isinstance(exp["forbid"], list):
        errors.append("expect.forbid: a list of regexes")
    for i, rx in enumerate(exp.get("forbid") or []):
        errors += _regex_errors(f"expect.forbid[{i}]", rx)
    if "grounded" in exp and not isinstance(exp["grounded"], bool):
        errors.append("expect.grounded: true or false")
    for key in ("order", "no_wait"):
        for i, pair in enumerate(exp.get(key) or []):
            if not isinstance(pair, list) or len(pair) != 2:
                errors.append(f"expect.{key}[{i}]: a pair [a, b]")
                continue
            errors += _regex_errors(f"expect.{key}[{i}][0]", pair[0])
            errors += _regex_errors(f"expect.{key}[{i}][1]", pair[1])
    return errors


# ---------------------------------------------------------------------------- drafting


def _brief_argument(brief: str, folder: Path) -> str:
    """The brief as `flowgen draft` takes it: text, or @file when it looks like an option or @file."""
    text = brief.strip()
    if text.startswith(("@", "-")):
        path = folder / "brief.md"
        path.write_text(text + "\n", encoding="utf-8")
        return f"@{path}"
    return text


def _draft_in_process(brief: str, out: Path, own_test: bool) -> dict[str, Any]:
    """Draft as `flowgen draft BRIEF --provider offline --out OUT --force --allow-findings` does."""
    import dataclasses

    from copilot.draft.drafting import DraftOptions, draft
    from copilot.draft.request import make_request
    from copilot.draft.summary import summary_data

    request = make_request(_brief_argument(brief, out.parent))
    extra = {}
    if not own_test and "own_test" in {f.name for f in dataclasses.fields(DraftOptions)}:
        extra["own_test"] = False
    options = DraftOptions(provider="offline", out=str(out), force=True, allow_findings=True, **extra)
    outcome = draft(request, options)
    return {"exit_code": outcome.exit_code, "summary": summary_data(outcome), "error": outcome.error}


def _draft_cli(brief: str, out: Path, timeout: float, own_test: bool) -> dict[str, Any]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "FLOWGEN_MODEL")
    }
    flowgen = Path(sys.executable).with_name("flowgen")
    command = [str(flowgen)] if flowgen.exists() else [sys.executable, "-m", "copilot"]
    base = [*command, "draft", _brief_argument(brief, out.parent), "--provider", "offline"]
    base += ["--out", str(out), "--force", "--allow-findings"]
    if not own_test:
        base.append("--no-own-test")
    proc = subprocess.run(
        [*base, "--format", "json"], capture_output=True, text=True, timeout=timeout, cwd=out.parent, env=env
    )
    if proc.returncode == 2 and "--format" in proc.stderr and not out.exists():  # no --format json (yet)
        proc = subprocess.run(base, capture_output=True, text=True, timeout=timeout, cwd=out.parent, env=env)
    summary = None
    with contextlib.suppress(ValueError):
        summary = json.loads(proc.stdout)
    error = summary.get("error") if isinstance(summary, dict) else None
    if error is None and proc.returncode not in (0, 1):  # 1: written with findings, not an error
        lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        error = lines[-1] if lines else f"exit {proc.returncode}"
    return {
        "exit_code": proc.returncode,
        "summary": summary if isinstance(summary, dict) else None,
        "error": error,
    }


def draft_case(
    brief: str, folder: Path, *, cli: bool = False, timeout: float = DRAFT_TIMEOUT_S, own_test: bool = True
) -> dict[str, Any]:
    """Draft one brief into ``folder/flow.yaml``: exit code, summary, error, the loaded flow and its text.

    ``own_test=False`` skips the drafter's own load test of the flow (``--no-own-test``), which
    hardens timeouts and fallbacks but is most of a draft's time; nothing the dev set checks.
    """
    out = folder / "flow.yaml"
    started = time.perf_counter()
    try:
        if cli:
            result = _draft_cli(brief, out, timeout, own_test)
        else:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                result = _draft_in_process(brief, out, own_test)
    except subprocess.TimeoutExpired:
        result = {"exit_code": None, "summary": None, "error": f"timed out after {timeout:g}s"}
    except Exception as exc:  # a crashing drafter is a failed draft, not a crashed benchmark
        result = {"exit_code": None, "summary": None, "error": f"{type(exc).__name__}: {exc}".splitlines()[0]}
    result["seconds"] = round(time.perf_counter() - started, 3)
    result["flow"] = None
    result["text"] = None
    if out.exists() and result["exit_code"] in (0, 1):
        result["text"] = out.read_text(encoding="utf-8")
        try:
            flow = _yaml().load(result["text"])
        except Exception as exc:
            result["error"] = f"written file is not YAML: {exc}".splitlines()[0]
        else:
            if isinstance(flow, dict):
                result["flow"] = flow
            else:
                result["error"] = "written file is not a mapping"
    elif result["error"] is None:
        result["error"] = f"no file written (exit {result['exit_code']})"
    return result


# ---------------------------------------------------------------------------- the flow as data


def _duration_ms(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) * 1000.0  # a bare number of seconds
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return float(m.group(1)) * _UNITS[m.group(2)]
    return None


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


class FlowView:
    """The parts of a flow file the checks read: steps by id, needs closure, texts, conditions."""

    def __init__(self, flow: dict[str, Any]):
        self.flow = flow
        raw = flow.get("steps")
        self.steps: list[dict[str, Any]] = (
            [s for s in raw if isinstance(s, dict)] if isinstance(raw, list) else []
        )
        self.by_id = {str(s.get("id")): s for s in self.steps}
        self._closure: dict[str, set[str]] = {}
        self._conds: dict[str, str | None] = {}

    @staticmethod
    def sid(step: dict[str, Any]) -> str:
        return str(step.get("id"))

    def needs(self, step: dict[str, Any]) -> list[str]:
        needs = step.get("needs") or []
        return [str(n) for n in needs] if isinstance(needs, list) else [str(needs)]

    def ancestors(self, sid: str) -> set[str]:
        """Every step ``sid`` transitively needs."""
        if sid in self._closure:
            return self._closure[sid]
        seen: set[str] = set()
        stack = list(self.needs(self.by_id.get(sid, {})))
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            stack.extend(self.needs(self.by_id.get(n, {})))
        seen.discard(sid)
        self._closure[sid] = seen
        return seen

    def text(self, step: dict[str, Any], *, why: bool) -> str:
        parts = [self.sid(step), f"type:{step.get('type')}", str(step.get("description") or "")]
        request = step.get("request")
        if isinstance(request, dict):
            parts.append(str(request.get("url") or ""))
        if why and isinstance(step.get("why"), dict):
            parts.append(str(step["why"].get("brief") or ""))
        return "\n".join(parts)

    def matching(self, pattern: str, *, why: bool = False) -> list[dict[str, Any]]:
        rx = re.compile(pattern, re.IGNORECASE)
        return [s for s in self.steps if rx.search(self.text(s, why=why))]

    @staticmethod
    def writes_out(step: dict[str, Any]) -> bool:
        if step.get("type") != "http":
            return False
        request = step.get("request")
        method = str(request.get("method") or "POST") if isinstance(request, dict) else "POST"
        return method.upper() != "GET"

    def condition(self, sid: str, _depth: int = 0) -> str | None:
        """The step's `if`, or, when it has none and all its needs are conditional, theirs."""
        if sid in self._conds:
            return self._conds[sid]
        step = self.by_id.get(sid, {})
        own = step.get("if")
        if own not in (None, ""):
            cond: str | None = str(own)
        else:
            needs = self.needs(step)
            cond = None
            if needs and _depth < 50:
                inherited = [self.condition(n, _depth + 1) for n in needs]
                if all(c is not None for c in inherited):
                    cond = " and ".join(dict.fromkeys(c for c in inherited if c))
        self._conds[sid] = cond
        return cond

    def references(self, value: Any) -> list[tuple[str, str]]:
        """(step id, first output field or '') for every `steps.X.output[.field]` in templates."""
        refs = []
        for s in _strings(value):
            for m in _REF.finditer(s):
                refs.append((m.group(1), re.sub(r"[\s.]", "", m.group(2))))
            for m in _REF_ITEM.finditer(s):
                refs.append((m.group(1), ""))
        return refs

    def free_text(self, sid: str, field: str) -> bool:
        """Whether `steps.sid.output.field` may carry model-written text (not an enum/number/boolean)."""
        if not field:
            return True
        schema = self.by_id.get(sid, {}).get("output_schema")
        if not isinstance(schema, dict):
            return True
        prop = (schema.get("properties") or {}).get(field)
        if not isinstance(prop, dict):
            return True
        if "enum" in prop or "const" in prop:
            return False
        return prop.get("type") not in ("boolean", "number", "integer")


# ---------------------------------------------------------------------------- checks


def _check(kind: str, name: str, ok: bool, detail: str = "") -> dict[str, Any]:
    return {"kind": kind, "name": name, "passed": bool(ok), "detail": detail}


def _mentions(summary: dict[str, Any] | None, text: str | None, pattern: str) -> bool:
    rx = re.compile(pattern, re.IGNORECASE)
    if summary is not None:
        notes = []
        for key in ("assumptions", "warnings", "unmapped"):
            items = summary.get(key)
            if isinstance(items, list):
                notes += [str(i) for i in items]
        return any(rx.search(n) for n in notes)
    # No JSON summary: a comment in the flow file has to say it.
    comments = [ln.split("#", 1)[1] for ln in (text or "").splitlines() if "#" in ln]
    return any(
        rx.search(c) and re.search(r"default|assum|not (?:stated|given)|no \w+ in the brief", c, re.I)
        for c in comments
    )


def _check_sla(exp: dict[str, Any], view: FlowView, summary: dict | None, text: str | None) -> dict[str, Any]:
    sla = view.flow.get("sla") if isinstance(view.flow.get("sla"), dict) else {}
    got = _duration_ms(sla.get("latency_p95"))
    want = exp["sla_ms"]
    if want is None:
        if got is None:
            return _check("sla", "sla", True, "no latency target (none in the brief)")
        ok = _mentions(summary, text, r"\bsla\b|latenc")
        return _check(
            "sla",
            "sla",
            ok,
            f"latency_p95 {sla.get('latency_p95')} "
            + ("is said to be a default" if ok else "is not reported as a default (assumptions)"),
        )
    ok = got is not None and math.isclose(got, float(want), rel_tol=1e-6)
    return _check("sla", "sla", ok, f"latency_p95 {sla.get('latency_p95')!r}, want {want:g}ms")


def _check_budget(
    exp: dict[str, Any], view: FlowView, summary: dict | None, text: str | None
) -> dict[str, Any]:
    sla = view.flow.get("sla") if isinstance(view.flow.get("sla"), dict) else {}
    got = sla.get("max_cost_per_event")
    want = exp["budget_usd"]
    if want is None:
        if got is None:
            return _check("budget", "budget", True, "no budget (none in the brief)")
        ok = _mentions(summary, text, r"budget|cost")
        return _check(
            "budget",
            "budget",
            ok,
            f"max_cost_per_event {got} "
            + ("is said to be assumed" if ok else "is not reported as an assumption"),
        )
    ok = (
        isinstance(got, int | float)
        and not isinstance(got, bool)
        and math.isclose(float(got), float(want), rel_tol=1e-6, abs_tol=1e-12)
    )
    return _check("budget", "budget", ok, f"max_cost_per_event {got!r}, want {want:g}")


def _when_ok(se: dict[str, Any], cond: str | None) -> bool:
    if "when" not in se:
        return True
    if se["when"] is None:
        return cond is None
    return cond is not None and re.search(se["when"], cond, re.IGNORECASE) is not None


def _assign(
    side_effects: list[dict], candidates: list[list[tuple[str, bool]]], view: FlowView
) -> list[str | None]:
    """Distinct steps for the side effects: most assigned first, then most matched by the step's
    own words (id, description, url rather than only the quoted brief), then most with the right
    condition."""
    best: tuple[int, int, int] = (-1, -1, -1)
    best_pick: list[str | None] = [None] * len(side_effects)

    def walk(i: int, used: set[str], pick: list[str | None], score: tuple[int, int, int]) -> None:
        nonlocal best, best_pick
        if i == len(side_effects):
            if score > best:
                best, best_pick = score, list(pick)
            return
        left = len(side_effects) - i
        if (score[0] + left, score[1] + left, score[2] + left) <= best:
            return
        for sid, strong in candidates[i]:
            if sid in used:
                continue
            good = int(_when_ok(side_effects[i], view.condition(sid)))
            walk(i + 1, used | {sid}, [*pick, sid], (score[0] + 1, score[1] + strong, score[2] + good))
        walk(i + 1, used, [*pick, None], score)

    walk(0, set(), [], (0, 0, 0))
    return best_pick


def _check_side_effects(exp: dict[str, Any], view: FlowView) -> list[dict[str, Any]]:
    side_effects = exp.get("side_effects") or []
    writers = [s for s in view.steps if view.writes_out(s)]
    candidates = []
    for se in side_effects:
        rx = re.compile(se["match"], re.IGNORECASE)
        candidates.append(
            [
                (view.sid(s), bool(rx.search(view.text(s, why=False))))
                for s in writers
                if rx.search(view.text(s, why=True))
            ]
        )
    picks = _assign(side_effects, candidates, view)
    writer_ids = ", ".join(view.sid(s) for s in writers) or "none"
    checks = []
    for se, sid, cands in zip(side_effects, picks, candidates, strict=True):
        name = se["name"]
        if sid is None:
            why = "taken by another side effect" if cands else f"no write step matches /{se['match']}/"
            checks.append(
                _check(
                    "side_effect", f"side_effect:{name}", False, f"{why} (steps that write out: {writer_ids})"
                )
            )
        else:
            checks.append(_check("side_effect", f"side_effect:{name}", True, f"step {sid}"))
        if "when" in se:
            cond = view.condition(sid) if sid else None
            ok = sid is not None and _when_ok(se, cond)
            want = "no condition" if se["when"] is None else f"a condition matching /{se['when']}/"
            detail = f"step {sid}: condition {cond!r}, want {want}" if sid else "no step"
            checks.append(_check("side_effect_when", f"side_effect_when:{name}", ok, detail))
    return checks


def _check_forbid(exp: dict[str, Any], view: FlowView) -> list[dict[str, Any]]:
    checks = []
    for pattern in exp.get("forbid") or []:
        rx = re.compile(pattern, re.IGNORECASE)
        hits = [view.sid(s) for s in view.steps if rx.search(f"{view.sid(s)}\n{s.get('description') or ''}")]
        checks.append(
            _check(
                "forbid", f"forbid:{pattern}", not hits, f"invented steps: {', '.join(hits)}" if hits else ""
            )
        )
    return checks


def _sink_reaching_models(view: FlowView) -> list[str]:
    """Model steps whose free-text output reaches respond.body (the answer)."""
    reach: set[str] = set()
    frontier: list[tuple[str, str]] = []
    respond = view.flow.get("respond")
    if isinstance(respond, dict):
        frontier += view.references(respond.get("body"))
    seen: set[tuple[str, str]] = set()
    while frontier:
        sid, field = frontier.pop()
        if (sid, field) in seen:
            continue
        seen.add((sid, field))
        step = view.by_id.get(sid)
        if step is None:
            continue
        kind = step.get("type")
        if not view.free_text(sid, field):
            continue  # an enum, number or boolean field: a label, not an answer
        if kind == "model":
            reach.add(sid)
        elif kind == "validate":
            # A validate step passes its input on: `check.output.text` is `answer.output.text`.
            frontier += [(ref, sub or field) for ref, sub in view.references(step.get("input"))]
        elif kind == "transform":
            output = step.get("output")
            if field and isinstance(output, dict) and field in output:
                output = output[field]
            frontier += view.references(output)
    return sorted(reach)


def _check_grounded(view: FlowView) -> dict[str, Any]:
    models = _sink_reaching_models(view)
    if not models:
        return _check("grounded", "grounded", False, "no model answer reaches the response")
    retrieves = {view.sid(s) for s in view.steps if s.get("type") == "retrieve"}
    ungrounded = [m for m in models if not (view.ancestors(m) & retrieves)]
    detail = f"answers: {', '.join(models)}"
    if ungrounded:
        detail += f"; without a retrieve among their needs: {', '.join(ungrounded)}"
    return _check("grounded", "grounded", not ungrounded, detail)


def _check_order(pair: list[str], view: FlowView) -> dict[str, Any]:
    a, b = pair
    name = f"order:{a} -> {b}"
    a_ids = {view.sid(s) for s in view.matching(a)}
    b_ids = {view.sid(s) for s in view.matching(b)}
    if not a_ids or not b_ids:
        missing = " and ".join(f"/{p}/" for p, ids in ((a, a_ids), (b, b_ids)) if not ids)
        return _check("order", name, False, f"no step matches {missing}")
    after = sorted(
        f"{s} needs {', '.join(sorted(view.ancestors(s) & (a_ids - {s})))}"
        for s in b_ids
        if view.ancestors(s) & (a_ids - {s})
    )
    backwards = sorted(
        f"{t} needs {', '.join(sorted(view.ancestors(t) & (b_ids - a_ids)))}"
        for t in a_ids - b_ids
        if view.ancestors(t) & (b_ids - a_ids)
    )
    if backwards:
        return _check("order", name, False, f"the wrong way round: {'; '.join(backwards)}")
    if not after:
        return _check(
            "order",
            name,
            False,
            f"no step matching b ({', '.join(sorted(b_ids))}) needs one matching a "
            f"({', '.join(sorted(a_ids))})",
        )
    return _check("order", name, True, "; ".join(after))


def _check_no_wait(pair: list[str], view: FlowView) -> dict[str, Any]:
    urgent, slow = pair
    name = f"no_wait:{urgent} !<- {slow}"
    u_ids = {view.sid(s) for s in view.matching(urgent)}
    s_ids = {view.sid(s) for s in view.matching(slow)}
    u_only, s_only = u_ids - s_ids, s_ids - u_ids
    if not u_only:
        return _check("no_wait", name, False, f"no step matches /{urgent}/ alone")
    waits = sorted(
        f"{u} needs {', '.join(sorted(view.ancestors(u) & s_only))}"
        for u in u_only
        if view.ancestors(u) & s_only
    )
    return _check("no_wait", name, not waits, "; ".join(waits))


def _all_checks(exp: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, name) of every check a case has, for a failed draft."""
    out = [("trigger", "trigger")]
    if "sla_ms" in exp:
        out.append(("sla", "sla"))
    if "budget_usd" in exp:
        out.append(("budget", "budget"))
    for se in exp.get("side_effects") or []:
        out.append(("side_effect", f"side_effect:{se['name']}"))
        if "when" in se:
            out.append(("side_effect_when", f"side_effect_when:{se['name']}"))
    out += [("forbid", f"forbid:{p}") for p in exp.get("forbid") or []]
    if exp.get("grounded"):
        out.append(("grounded", "grounded"))
    out += [("order", f"order:{a} -> {b}") for a, b in exp.get("order") or []]
    out += [("no_wait", f"no_wait:{u} !<- {s}") for u, s in exp.get("no_wait") or []]
    return out


def score_flow(
    exp: dict[str, Any], flow: dict[str, Any], summary: dict | None = None, text: str | None = None
) -> list[dict[str, Any]]:
    """Every check of one case's expectations against a loaded flow (and the draft's JSON summary)."""
    view = FlowView(flow)
    trigger = flow.get("trigger") if isinstance(flow.get("trigger"), dict) else {}
    checks = [
        _check(
            "trigger",
            "trigger",
            trigger.get("type") == exp["trigger"],
            f"trigger {trigger.get('type')!r}, want {exp['trigger']!r}",
        )
    ]
    if "sla_ms" in exp:
        checks.append(_check_sla(exp, view, summary, text))
    if "budget_usd" in exp:
        checks.append(_check_budget(exp, view, summary, text))
    checks += _check_side_effects(exp, view)
    checks += _check_forbid(exp, view)
    if exp.get("grounded"):
        checks.append(_check_grounded(view))
    checks += [_check_order(pair, view) for pair in exp.get("order") or []]
    checks += [_check_no_wait(pair, view) for pair in exp.get("no_wait") or []]
    return checks


# ---------------------------------------------------------------------------- the run


def evaluate_case(
    case: dict[str, Any], *, cli: bool = False, timeout: float = DRAFT_TIMEOUT_S, own_test: bool = True
) -> dict[str, Any]:
    exp = case["expect"]
    with tempfile.TemporaryDirectory(prefix="draft-eval-") as tmp:
        folder = Path(tmp)
        cwd = os.getcwd()
        try:
            if not cli:
                os.chdir(folder)  # as the CLI child: no project config from the caller's folder
            drafted = draft_case(case["brief"], folder, cli=cli, timeout=timeout, own_test=own_test)
        finally:
            os.chdir(cwd)
    if drafted["flow"] is None:
        checks = [_check(k, n, False, f"no draft: {drafted['error']}") for k, n in _all_checks(exp)]
    else:
        checks = score_flow(exp, drafted["flow"], drafted["summary"], drafted["text"])
    passed = sum(c["passed"] for c in checks)
    return {
        "id": case["id"],
        "domain": case["domain"],
        "exit_code": drafted["exit_code"],
        "error": drafted["error"],
        "seconds": drafted["seconds"],
        "passed": passed,
        "total": len(checks),
        "checks": checks,
        "flow": drafted["flow"],
    }


def evaluate(
    devset_dir: str | Path = DEVSET,
    *,
    only: str | None = None,
    cli: bool = False,
    timeout: float = DRAFT_TIMEOUT_S,
    jobs: int = 1,
    own_test: bool = True,
) -> dict[str, Any]:
    """Draft every dev set brief offline and score it; returns per-case, per-kind and overall results."""
    started = time.perf_counter()
    cases = [c for c in load_devset(devset_dir) if only is None or c.get("id") == only]
    for case in cases:
        errors = validate_case(case)
        if errors:
            raise ValueError(f"{case.get('_path', case.get('id'))}: {'; '.join(errors)}")
    if cli and jobs > 1:  # subprocesses: threads only wait on them
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(
                pool.map(lambda c: evaluate_case(c, cli=True, timeout=timeout, own_test=own_test), cases)
            )
    else:
        results = [evaluate_case(case, cli=cli, timeout=timeout, own_test=own_test) for case in cases]
    kinds: dict[str, dict[str, int]] = {}
    for r in results:
        for c in r["checks"]:
            k = kinds.setdefault(c["kind"], {"passed": 0, "total": 0})
            k["passed"] += c["passed"]
            k["total"] += 1
    passed = sum(r["passed"] for r in results)
    total = sum(r["total"] for r in results)
    return {
        "devset": str(devset_dir),
        "mode": ("cli" if cli else "in-process") + ("" if own_test else ", no own test"),
        "cases": results,
        "kinds": {k: kinds[k] for k in KINDS if k in kinds},
        "passed": passed,
        "total": total,
        "score": passed / total if total else 0.0,
        "failed_drafts": [r["id"] for r in results if r["flow"] is None],
        "seconds": round(time.perf_counter() - started, 2),
    }


# ---------------------------------------------------------------------------- report


def _compact_step(view: FlowView, step: dict[str, Any]) -> str:
    parts = [f"{view.sid(step)} [{step.get('type')}{', async' if step.get('mode') == 'async' else ''}]"]
    if step.get("needs"):
        parts.append(f"needs={view.needs(step)}")
    if step.get("if"):
        parts.append(f"if={step['if']!r}")
    if isinstance(step.get("request"), dict):
        parts.append(f"{step['request'].get('method', 'POST')} {step['request'].get('url')}")
    if step.get("description"):
        parts.append(f"- {step['description']}")
    return " ".join(parts)


def render_text(result: dict[str, Any], *, verbose: bool = False, out=sys.stdout) -> None:
    width = max([len(r["id"]) for r in result["cases"]] + [4])
    out.write(f"{'case':<{width}}  score  failed checks\n")
    for r in result["cases"]:
        failed = [c["name"] for c in r["checks"] if not c["passed"]]
        note = f"DRAFT FAILED: {r['error']}" if r["flow"] is None else "; ".join(failed) or "-"
        out.write(f"{r['id']:<{width}}  {r['passed']:>2}/{r['total']:<2}  {note}\n")
        if verbose and failed and r["flow"] is not None:
            for c in r["checks"]:
                if not c["passed"]:
                    out.write(f"    x {c['name']}: {c['detail']}\n")
            view = FlowView(r["flow"])
            trig = r["flow"].get("trigger") or {}
            out.write(f"    flow: trigger={trig.get('type')} sla={r['flow'].get('sla')}\n")
            for s in view.steps:
                out.write(f"      {_compact_step(view, s)}\n")
            respond = r["flow"].get("respond")
            if isinstance(respond, dict):
                out.write(f"      respond needs={respond.get('needs')} body={respond.get('body')}\n")
    out.write("\nper check kind\n")
    for kind, k in result["kinds"].items():
        pct = 100.0 * k["passed"] / k["total"] if k["total"] else 0.0
        out.write(f"  {kind:<17} {k['passed']:>3}/{k['total']:<3} {pct:5.1f}%\n")
    out.write(
        f"\noverall: {result['passed']}/{result['total']} = {100 * result['score']:.1f}% "
        f"over {len(result['cases'])} briefs ({result['mode']}, {result['seconds']}s)"
    )
    if result["failed_drafts"]:
        out.write(f"; failed drafts: {', '.join(result['failed_drafts'])}")
    out.write("\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devset", default=str(DEVSET), help="folder of dev set *.yaml files")
    parser.add_argument("--only", metavar="ID", help="run one case")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="show failing checks and the flow's steps"
    )
    parser.add_argument(
        "--cli",
        action="store_true",
        help="draft through `flowgen draft` subprocesses (default: in-process, same code path)",
    )
    parser.add_argument("--timeout", type=float, default=DRAFT_TIMEOUT_S, help="seconds per draft (CLI mode)")
    parser.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=min(4, os.cpu_count() or 1),
        help="CLI drafts run at once (--cli only; in-process drafts run one by one)",
    )
    parser.add_argument(
        "--no-own-test",
        action="store_true",
        help="skip the drafter's own load test of each flow (faster; what the unit test runs)",
    )
    args = parser.parse_args(argv)
    if not Path(args.devset).is_dir():
        parser.error(f"no dev set folder {args.devset}")
    if args.only and not any(c.get("id") == args.only for c in load_devset(args.devset)):
        parser.error(f"no case {args.only!r} in {args.devset}")
    sys.path.insert(0, str(ROOT))
    try:
        result = evaluate(
            args.devset,
            only=args.only,
            cli=args.cli,
            timeout=args.timeout,
            jobs=args.jobs,
            own_test=not args.no_own_test,
        )
    except ValueError as exc:
        parser.error(str(exc))
    if args.json:
        for r in result["cases"]:
            r.pop("flow", None)
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        render_text(result, verbose=args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
