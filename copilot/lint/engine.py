"""The lint engine: parse, validate, run every enabled rule, apply levels and suppressions.

Rules only say *where* and *what* (`Hit`); the engine turns hits into positioned
`Finding`s, applies the configuration (selection, re-levelling, per-path overrides) and
inline suppressions, and reports unused suppressions. A file that cannot be read or
parsed is a finding (FG001), a document that does not match the schema is one finding
per violation (FG002); neither stops the other files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from copilot.errors import FlowgenError, Position
from copilot.lint.config import LintConfig, specificity
from copilot.lint.rule import Context, Finding, Hit, Loc, Rule, Severity
from copilot.lint.rules import rules_by_code
from copilot.lint.suppress import Suppression, parse_suppressions

if TYPE_CHECKING:
    from copilot.catalog import Catalog

UNREADABLE = ("FG001", "FG002")  # findings that mean "could not lint this file" (exit 2)


@dataclass
class FileReport:
    """The lint result of one file."""

    path: str
    findings: list[Finding]
    text: str | None = None  # the source, for code frames
    summary: dict[str, Any] | None = None  # per-flow numbers (None when the file did not load)
    config: LintConfig = field(default_factory=LintConfig)
    fixed: list[str] = field(default_factory=list)  # what --fix changed

    @property
    def unreadable(self) -> bool:
        return any(f.code in UNREADABLE for f in self.findings)

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if self.config.fails(f.severity)]


@dataclass
class LintRun:
    """The result of linting several files."""

    files: list[FileReport]
    fail_on: Severity = "error"

    @property
    def findings(self) -> list[Finding]:
        return [f for report in self.files for f in report.findings]

    @property
    def exit_code(self) -> int:
        """2 when a file could not be linted, 1 when a finding is at or above the fail level, else 0."""
        if any(report.unreadable for report in self.files):
            return 2
        return 1 if any(report.failing for report in self.files) else 0

    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0, "info": 0}
        for finding in self.findings:
            out[finding.severity] += 1
        return out


def _finding(
    rule: Rule,
    severity: Severity,
    message: str,
    path: str,
    pos: Position,
    *,
    loc: Loc = (),
    fix_hint: str | None = None,
) -> Finding:
    return Finding(
        code=rule.code,
        name=rule.name,
        severity=severity,
        message=message,
        path=path,
        line=pos.line,
        col=pos.col,
        loc=loc,
        fix_hint=fix_hint,
        fixable=rule.fix is not None,
    )


def unreadable_finding(code: str, exc: FlowgenError, path: str) -> Finding:
    """The FG001 (cannot read or parse) or FG002 (schema) finding for `exc` in `path`."""
    rule = rules_by_code()[code]
    # No position for a file that cannot be read (missing, a folder, binary): 0:0 means none.
    pos = exc.position or (Position(1, 1) if code == "FG002" else Position(0, 0))
    return _finding(rule, "error", exc.message, path, pos)


@dataclass
class Loaded:
    """A parsed and validated flow with the rule context, or the findings that stopped it."""

    context: Context | None
    findings: list[Finding]


def load_for_lint(text: str, path: str, catalog: Catalog | None = None) -> Loaded:
    """Parse and validate `text` once into the analysed flow; FG001/FG002 findings instead of exceptions."""
    from copilot.flow.load import analyse_document, parse_yaml

    try:
        doc = parse_yaml(text, path)
    except FlowgenError as exc:
        return Loaded(None, [unreadable_finding("FG001", exc, path)])
    if catalog is None:
        from copilot.catalog import default_catalog

        catalog = default_catalog()
    loaded, errors = analyse_document(doc, catalog)
    if loaded is None:
        return Loaded(None, [unreadable_finding("FG002", e, path) for e in errors])
    from copilot.flow.check import template_syntax

    # Templates that do not parse are FG002 (as in `flowgen validate`); the rules still run.
    rule = rules_by_code()["FG002"]
    broken = [
        _finding(rule, "error", p.message, path, p.position or Position(1, 1), loc=p.loc)
        for p in template_syntax(loaded)
    ]
    return Loaded(Context(loaded, catalog), broken)


def run_rules(ctx: Context, config: LintConfig) -> dict[str, list[Hit]]:
    """Each enabled rule's hits (before suppressions)."""
    out: dict[str, list[Hit]] = {}
    ctx.config = config
    for code, rule in sorted(rules_by_code().items()):
        if code in UNREADABLE or not config.enabled(rule):
            continue
        try:
            hits = list(rule.check(ctx))
        except Exception as exc:  # a bug in a rule: one clear line (exit 2), never a traceback
            raise FlowgenError(
                f"internal error in rule {code} ({rule.name}): {type(exc).__name__}: {exc}; please report it",
                path=ctx.path,
            ) from exc
        if hits:
            out[code] = hits
    return out


def _suppressed(finding: Finding, suppressions: list[Suppression], rule: Rule) -> bool:
    hit = False
    for sup in suppressions:
        if sup.malformed is None and sup.covers(finding.line) and specificity(sup.selector, rule) > 0:
            sup.used = True
            hit = True
    return hit


def _unused(suppressions: list[Suppression], config: LintConfig, path: str) -> list[Finding]:
    """FG000 for each suppression that silenced nothing (or names no rule)."""
    rules = rules_by_code()
    unused_rule = rules.get("FG000")
    if unused_rule is None or not config.enabled(unused_rule):
        return []
    out = []
    for sup in suppressions:
        if sup.used:
            continue
        if sup.malformed is not None:
            message = (
                f"malformed suppression `{sup.malformed}`: write "
                '`# flowgen: disable=FG201 reason="…"` (or `disable-file=`) with codes, prefixes or names'
            )
            out.append(
                _finding(unused_rule, config.level(unused_rule), message, path, Position(sup.line, sup.col))
            )
            continue
        matching = [r for r in rules.values() if specificity(sup.selector, r) > 0]
        named = max(matching, key=lambda r: specificity(sup.selector, r)) if matching else None
        if named is None:
            from copilot.errors import did_you_mean

            choices = [*rules, *(r.name for r in rules.values())]
            message = f"suppression names no rule: `{sup.selector}`{did_you_mean(sup.selector, choices)}"
        elif not any(config.enabled(r) for r in matching):
            continue  # the rules do not run here, so nothing can tell whether it is needed
        else:
            scope = "in this file" if sup.target_line is None else f"on line {sup.target_line}"
            what = f"{named.code} ({named.name})" if len(matching) == 1 else f"no rule of `{sup.selector}`"
            message = f"unused suppression: {what} reports nothing {scope}; remove it"
        out.append(
            _finding(unused_rule, config.level(unused_rule), message, path, Position(sup.line, sup.col))
        )
    return out


def lint_context(
    ctx: Context, config: LintConfig, path: str, text: str
) -> tuple[list[Finding], dict[str, list[Hit]]]:
    """Findings of a loaded flow (levels and suppressions applied) and each rule's kept hits."""
    rules = rules_by_code()
    suppressions = parse_suppressions(text)
    findings: list[Finding] = []
    kept: dict[str, list[Hit]] = {}
    for code, hits in run_rules(ctx, config).items():
        rule = rules[code]
        severity = config.level(rule)
        seen: set[tuple[int, int, str]] = set()
        for hit in hits:
            pos = ctx.position(hit.loc, key=hit.key)
            finding = _finding(rule, severity, hit.message, path, pos, loc=hit.loc, fix_hint=hit.fix_hint)
            if (pos.line, pos.col, hit.message) in seen:
                continue  # the same problem reached twice (e.g. a template used in two places)
            seen.add((pos.line, pos.col, hit.message))
            if _suppressed(finding, suppressions, rule):
                continue
            findings.append(finding)
            kept.setdefault(code, []).append(hit)
    unused = [
        f for f in _unused(suppressions, config, path) if not _suppressed(f, suppressions, rules["FG000"])
    ]
    return sorted([*findings, *unused], key=sort_key), kept


def sort_key(finding: Finding) -> tuple[int, int, str]:
    return (finding.line, finding.col, finding.code)


def lint_report(
    text: str, path: str = "<flow>", config: LintConfig | None = None, *, catalog: Catalog | None = None
) -> FileReport:
    """Lint one flow's text into a `FileReport` (findings, summary numbers, the text)."""
    base = config or LintConfig()
    config = base.for_path(path)
    loaded = load_for_lint(text, path, catalog)
    report = FileReport(path, loaded.findings, text=text, config=config)
    if loaded.context is None:
        return report
    found, _ = lint_context(loaded.context, config, path, text)
    report.findings = sorted([*loaded.findings, *found], key=sort_key)
    report.summary = flow_summary(loaded.context)
    return report


def lint_text(text: str, path: str = "<flow>", config: LintConfig | None = None) -> list[Finding]:
    """Every finding of a flow's text, sorted by (line, col, code)."""
    return lint_report(text, path, config).findings


def flow_summary(ctx: Context) -> dict[str, Any]:
    """The numbers behind FG103/FG105/FG503: hot path p95 and worst case vs SLA, cost vs budget."""
    from copilot.flow.graph import summary_of

    return summary_of(ctx.flow, ctx.analysis)
