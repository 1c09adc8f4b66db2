"""Lint configuration: which rules run, at which level, per path.

Read from ``[tool.flowgen.lint]`` in ``pyproject.toml`` or ``[lint]`` in ``.flowgen.toml``
(found by walking up from the linted file), or from an explicit ``--config FILE``.
Command-line flags are applied on top.

    [tool.flowgen.lint]
    select = ["FG"]                       # codes, prefixes (FG1) or names; default: every rule
    extend-select = []                    # added to select
    ignore = ["FG303", "missing-chaos-test"]
    fail-on = "warning"                   # error (default) | warning | info
    severity = {FG201 = "error", "FG8" = "info"}   # re-level by code, prefix or name

    [[tool.flowgen.lint.overrides]]       # per-path settings, globs relative to the config file
    paths = ["examples/**", "drafts/*.yaml"]
    ignore = ["FG8"]
    severity = {FG207 = "info"}

    [tool.flowgen.lint.per-file-ignores]  # shorthand, as in ruff
    "legacy/*.yaml" = ["FG1"]

    allowed-hosts = ["api.example.com", "*.example.com"]   # (in [tool.flowgen.lint]) FG712
    k6-compatible = true                  # (in [tool.flowgen.lint]) FG803: plain k6 thresholds

A selector matches a rule by its exact code, a code prefix (``FG1``, ``FG``, ``ALL``) or its
kebab-case name. When both `select` and `ignore` match a rule the more specific selector
wins (a code or name beats a prefix, a longer prefix beats a shorter one); a tie ignores.
"""

from __future__ import annotations

import contextlib
import fnmatch
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, TypedDict

from copilot.errors import FlowgenError
from copilot.lint.rule import SEVERITY_RANK, Rule, Severity

SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
_KEYS = {"select", "extend-select", "ignore", "extend-ignore", "fail-on", "severity", "overrides"}
_KEYS |= {"per-file-ignores", "allowed-hosts", "k6-compatible"}
_OVERRIDE_KEYS = {"paths", "select", "extend-select", "ignore", "severity"}


def specificity(selector: str, rule: Rule) -> int:
    """How closely `selector` names `rule`: 0 no match; a name or full code beats any prefix."""
    sel = selector.strip()
    if sel.upper() == "ALL":
        return 1
    if sel == rule.name or sel.upper() == rule.code:
        return 100
    if rule.code.startswith(sel.upper()) and sel[:2].upper() == "FG":
        return 1 + len(sel)
    return 0


def _best(selectors: list[str], rule: Rule) -> int:
    return max((specificity(s, rule) for s in selectors), default=0)


@dataclass(frozen=True)
class Override:
    """Settings that apply only to files matching `paths` (globs relative to `root`)."""

    paths: tuple[str, ...]
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: tuple[tuple[str, Severity], ...] = ()

    def matches(self, path: str, root: Path) -> bool:
        candidates = {PurePosixPath(Path(path).as_posix())}
        with contextlib.suppress(ValueError):  # outside the config's folder: match as given
            candidates.add(PurePosixPath(Path(path).resolve().relative_to(root.resolve()).as_posix()))
        for pattern in self.paths:
            for candidate in candidates:
                text = str(candidate)
                if fnmatch.fnmatch(text, pattern) or candidate.match(pattern):
                    return True
                # `dir/**` also means every file below dir
                if pattern.endswith("/**") and text.startswith(pattern[:-2]):
                    return True
        return False


class LintOptions(TypedDict, total=False):
    """The command-line flags `LintConfig.with_options` takes (only the ones given)."""

    select: list[str]
    extend_select: list[str]
    ignore: list[str]
    fail_on: str
    k6_compatible: bool


@dataclass(frozen=True)
class LintConfig:
    """Which rules run and how loud they are. The default runs every rule at its own level."""

    select: tuple[str, ...] = ("ALL",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: tuple[tuple[str, Severity], ...] = ()
    fail_on: Severity = "error"
    overrides: tuple[Override, ...] = ()
    root: Path = field(default_factory=Path.cwd)  # where override globs are relative to
    source: str | None = None  # the file this came from, for messages
    # Hosts an http step may name literally (FG712): `api.example.com` or `*.example.com`.
    allowed_hosts: tuple[str, ...] = ()
    # FG803: thresholds in plain k6 (no unit on the number, no `count` on trends and rates).
    k6_compatible: bool = False

    # ------------------------------------------------------------------ queries

    def for_path(self, path: str) -> LintConfig:
        """This config with the overrides that match `path` applied."""
        out = self
        for override in self.overrides:
            if override.matches(path, self.root):
                out = replace(
                    out,
                    select=override.select if override.select is not None else out.select,
                    extend_select=(*out.extend_select, *override.extend_select),
                    ignore=(*out.ignore, *override.ignore),
                    severity=(*out.severity, *override.severity),
                )
        return out

    def enabled(self, rule: Rule) -> bool:
        chosen = _best([*self.select, *self.extend_select], rule)
        return chosen > 0 and chosen > _best(list(self.ignore), rule)

    def level(self, rule: Rule) -> Severity:
        """The rule's severity after re-levelling (the most specific selector wins; later ties win)."""
        best, level = 0, rule.severity
        for selector, severity in self.severity:
            score = specificity(selector, rule)
            if score and score >= best:
                best, level = score, severity
        return level

    def fails(self, severity: Severity) -> bool:
        return SEVERITY_RANK[severity] >= SEVERITY_RANK[self.fail_on]

    # ------------------------------------------------------------------ building

    def with_options(
        self,
        *,
        select: list[str] | None = None,
        extend_select: list[str] | None = None,
        ignore: list[str] | None = None,
        fail_on: str | None = None,
        k6_compatible: bool | None = None,
    ) -> LintConfig:
        """Command-line flags on top of a file's settings (`--select` replaces, `--ignore` adds)."""
        out = self
        for flag, given in (("--select", select), ("--extend-select", extend_select), ("--ignore", ignore)):
            if given is not None and given and not split_selectors(given):
                # `--select=` would lint nothing and report "no problems": never what was meant
                raise FlowgenError(f"{flag} is empty: give rule codes (FG101), prefixes (FG1) or names")
        if select:
            out = replace(out, select=tuple(split_selectors(select)), extend_select=())
        if extend_select:
            out = replace(out, extend_select=(*out.extend_select, *split_selectors(extend_select)))
        if ignore:
            out = replace(out, ignore=(*out.ignore, *split_selectors(ignore)))
        if fail_on is not None:
            out = replace(out, fail_on=_severity(fail_on, "--fail-on"))
        if k6_compatible:
            out = replace(out, k6_compatible=True)
        out.check_selectors()
        return out

    @classmethod
    def from_mapping(
        cls, data: dict[str, Any], *, root: Path | None = None, source: str | None = None
    ) -> LintConfig:
        """A config from the `[tool.flowgen.lint]` table (keys with `-` or `_`)."""
        where = source or "lint configuration"
        if not isinstance(data, dict):
            raise FlowgenError(f"{where}: the lint settings must be a table")
        data = {str(k).replace("_", "-"): v for k, v in data.items()}
        for key in data:
            if key not in _KEYS:
                from copilot.errors import did_you_mean

                raise FlowgenError(f"{where}: unknown lint setting `{key}`{did_you_mean(key, _KEYS)}")
        overrides = [_override(o, where) for o in _list(data.get("overrides", []), "overrides", where)]
        for pattern, codes in _table(data.get("per-file-ignores", {}), "per-file-ignores", where).items():
            overrides.append(Override(paths=(pattern,), ignore=tuple(_strings(codes, pattern, where))))
        config = cls(
            select=tuple(_strings(data.get("select", ["ALL"]), "select", where)),
            extend_select=tuple(_strings(data.get("extend-select", []), "extend-select", where)),
            ignore=tuple(
                _strings(data.get("ignore", []), "ignore", where)
                + _strings(data.get("extend-ignore", []), "extend-ignore", where)
            ),
            severity=_levels(data.get("severity", {}), where),
            fail_on=_severity(data.get("fail-on", "error"), f"{where}: fail-on"),
            overrides=tuple(overrides),
            root=root or Path.cwd(),
            source=source,
            allowed_hosts=_hosts(data.get("allowed-hosts", []), where),
            k6_compatible=_flag(data.get("k6-compatible", False), "k6-compatible", where),
        )
        config.check_selectors()
        return config

    def check_selectors(self) -> None:
        """Refuse a selector that names no rule (a typo would silently disable nothing)."""
        from copilot.lint.rules import all_rules

        rules = all_rules()
        names = [r.name for r in rules] + [r.code for r in rules]
        selectors = [*self.select, *self.extend_select, *self.ignore, *(s for s, _ in self.severity)]
        for override in self.overrides:
            selectors += [*(override.select or ()), *override.extend_select, *override.ignore]
            selectors += [s for s, _ in override.severity]
        for selector in selectors:
            if not any(specificity(selector, r) for r in rules):
                from copilot.errors import did_you_mean

                where = f"{self.source}: " if self.source else ""
                raise FlowgenError(
                    f"{where}`{selector}` matches no rule{did_you_mean(selector, names)} "
                    "(use a code like FG101, a prefix like FG1, or a name like call-without-timeout)"
                )


def split_selectors(values: list[str]) -> list[str]:
    """Rule selectors, given several times and comma-separated.

    `--select FG1,FG2 --select FG3` → [FG1, FG2, FG3].
    """
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _severity(value: Any, where: str) -> Severity:
    for severity in SEVERITIES:
        if value == severity:
            return severity
    raise FlowgenError(f"{where} must be one of error, warning, info, not {value!r}")


def _strings(value: Any, key: str, where: str) -> list[str]:
    if isinstance(value, str):
        return split_selectors([value])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FlowgenError(f"{where}: `{key}` must be a list of rule codes, prefixes or names")
    return split_selectors(value)


def _hosts(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise FlowgenError(f"{where}: `allowed-hosts` must be a list of host names (`*.example.com` allowed)")
    return tuple(v.strip().lower() for v in value)


def _list(value: Any, key: str, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise FlowgenError(f"{where}: `{key}` must be a list of tables")
    return value


def _table(value: Any, key: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FlowgenError(f"{where}: `{key}` must be a table")
    return value


def _levels(value: Any, where: str) -> tuple[tuple[str, Severity], ...]:
    table = _table(value, "severity", where)
    return tuple((str(k), _severity(v, f"{where}: severity of {k}")) for k, v in table.items())


def _override(value: Any, where: str) -> Override:
    table = {str(k).replace("_", "-"): v for k, v in _table(value, "overrides", where).items()}
    for key in table:
        if key not in _OVERRIDE_KEYS:
            from copilot.errors import did_you_mean

            raise FlowgenError(
                f"{where}: unknown override setting `{key}`{did_you_mean(key, _OVERRIDE_KEYS)}"
            )
    if "paths" not in table:
        raise FlowgenError(f"{where}: an override needs `paths` (a list of globs)")
    return Override(
        paths=tuple(_strings(table["paths"], "paths", where)),
        select=tuple(_strings(table["select"], "select", where)) if "select" in table else None,
        extend_select=tuple(_strings(table.get("extend-select", []), "extend-select", where)),
        ignore=tuple(_strings(table.get("ignore", []), "ignore", where)),
        severity=_levels(table.get("severity", {}), where),
    )


# ---------------------------------------------------------------------------- files


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # only when a config file is there to read

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        import re

        from copilot.errors import Position

        # Python 3.11's message ends "(at line 2, column 5)": that is the position.
        text = str(exc)
        where = re.search(r"\s*\(at line (\d+), column (\d+)\)$", text)
        position = Position(int(where.group(1)), int(where.group(2))) if where else None
        message = text[: where.start()] if where else text
        raise FlowgenError(f"invalid TOML: {message}", path=str(path), position=position) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowgenError(f"cannot read: {exc}", path=str(path)) from None


def _section(path: Path, data: dict[str, Any]) -> Any:
    """The lint table of a config file, or None when it has none.

    A TOML value as written (`from_mapping` refuses one that is not a table).
    """
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        flowgen = tool.get("flowgen", {}) if isinstance(tool, dict) else {}
        return flowgen.get("lint") if isinstance(flowgen, dict) else None
    # .flowgen.toml holds what [tool.flowgen] holds in pyproject.toml.
    if "lint" in data:
        return data["lint"]
    tool = data.get("tool", {})
    if isinstance(tool, dict) and isinstance(tool.get("flowgen"), dict):
        return tool["flowgen"].get("lint")
    return {}


def _mentions_flowgen(path: Path) -> bool:
    """A cheap look before parsing: most pyproject.toml files have no flowgen table."""
    try:
        return "flowgen" in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def load_config(path: str | Path) -> LintConfig:
    """The config in `path` (pyproject.toml, .flowgen.toml or any TOML file with a lint table)."""
    file = Path(path)
    if not file.is_file():
        raise FlowgenError("no such config file", path=str(file))
    section = _section(file, _read_toml(file))
    if section is None:
        section = {}
    return LintConfig.from_mapping(section, root=file.resolve().parent, source=str(file))


def find_config_file(start: str | Path) -> Path | None:
    """The nearest `.flowgen.toml`, or `pyproject.toml` with a `[tool.flowgen.lint]` table."""
    here = Path(start).resolve()
    if not here.is_dir():
        here = here.parent
    for folder in (here, *here.parents):
        dotfile = folder / ".flowgen.toml"
        if dotfile.is_file():
            return dotfile
        pyproject = folder / "pyproject.toml"
        if (
            pyproject.is_file()
            and _mentions_flowgen(pyproject)
            and _section(pyproject, _read_toml(pyproject)) is not None
        ):
            return pyproject
    return None


def discover(start: str | Path) -> LintConfig:
    """The config that applies to a file (or folder) at `start`; the default when none is found."""
    found = find_config_file(start)
    return load_config(found) if found else LintConfig()


def _flag(value: Any, key: str, where: str) -> bool:
    if not isinstance(value, bool):
        raise FlowgenError(f"{where}: {key} must be true or false")
    return value
