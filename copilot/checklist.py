"""The production-readiness checklist: `checklists/production-readiness.yaml`, read and rendered.

The YAML file is the one source of truth. `flowgen checklist` renders it as
Markdown for people and other copilots, `flowgen rules` shows which item each rule
checks, and `flowgen draft` puts every item's `guidance` sentence into its prompt.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from copilot.errors import FlowgenError

CHECKLIST_FILE = "production-readiness.yaml"
_ID_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_CODE_RE = re.compile(r"^FG\d{3}$")
_FIELDS = ("id", "area", "question", "why", "guidance", "rules")
# Rules about the lint run itself rather than about a flow (FG000: a suppression that
# silences nothing) have no checklist item: no flow becomes more production-ready by them.
META_RULES = ("FG000",)


@dataclass(frozen=True)
class ChecklistItem:
    """One question a production-ready flow answers with yes, and the rules that check it."""

    id: str
    area: str  # an area id, e.g. `latency`; its title is in `load_areas()`
    question: str
    why: str
    guidance: str  # one sentence, verbatim in the draft prompt
    rules: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rules"] = list(self.rules)
        return data


@dataclass(frozen=True)
class Checklist:
    """The areas in order (id -> title) and the items in file order."""

    areas: dict[str, str]
    items: tuple[ChecklistItem, ...]


def checklist_path() -> Path:
    from copilot.resources import data_dir

    return data_dir("checklists") / CHECKLIST_FILE


def parse_checklist(text: str, name: str = CHECKLIST_FILE) -> Checklist:
    """The checklist in `text`; a `FlowgenError` naming the item and field when it is malformed."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe").load(text)
    except YAMLError as exc:
        raise FlowgenError(f"invalid YAML in the checklist: {exc}", path=name) from None
    if not isinstance(data, dict) or not isinstance(data.get("areas"), dict):
        raise FlowgenError("the checklist needs an `areas:` mapping (id: title)", path=name)
    if not isinstance(data.get("items"), list) or not data["items"]:
        raise FlowgenError("the checklist needs a non-empty `items:` list", path=name)
    areas = {str(k): str(v) for k, v in data["areas"].items()}
    items: list[ChecklistItem] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["items"]):
        where = f"items[{index}]"
        if not isinstance(raw, dict):
            raise FlowgenError(f"{where}: an item is a mapping", path=name)
        missing = [f for f in _FIELDS if f not in raw]
        unknown = sorted(set(raw) - set(_FIELDS))
        if missing or unknown:
            problem = f"missing {', '.join(missing)}" if missing else f"unknown key {', '.join(unknown)}"
            raise FlowgenError(f"{where} ({raw.get('id', '?')}): {problem}", path=name)
        item_id = str(raw["id"])
        where = f"item `{item_id}`"
        if not _ID_RE.match(item_id):
            raise FlowgenError(f"{where}: ids are kebab-case", path=name)
        if item_id in seen:
            raise FlowgenError(f"{where} is defined twice", path=name)
        seen.add(item_id)
        if raw["area"] not in areas:
            raise FlowgenError(
                f"{where}: unknown area `{raw['area']}` (areas: {', '.join(areas)})", path=name
            )
        rules = raw["rules"]
        if not isinstance(rules, list) or not rules or not all(isinstance(r, str) for r in rules):
            raise FlowgenError(f"{where}: `rules` is a non-empty list of codes", path=name)
        bad = [r for r in rules if not _CODE_RE.match(r)]
        if bad:
            raise FlowgenError(f"{where}: `{bad[0]}` is not a rule code (FGnnn)", path=name)
        texts = {f: raw[f] for f in ("question", "why", "guidance")}
        for field, value in texts.items():
            if not isinstance(value, str) or not value.strip():
                raise FlowgenError(f"{where}: `{field}` must be non-empty text", path=name)
        items.append(
            ChecklistItem(
                id=item_id,
                area=str(raw["area"]),
                question=" ".join(raw["question"].split()),
                why=" ".join(raw["why"].split()),
                guidance=" ".join(raw["guidance"].split()),
                rules=tuple(rules),
            )
        )
    # Items are shown grouped by area, in the order the areas are listed.
    rank = {area: i for i, area in enumerate(areas)}
    ordered = sorted(items, key=lambda item: rank[item.area])
    return Checklist(areas, tuple(ordered))


@lru_cache(maxsize=1)
def _packaged() -> Checklist:
    path = checklist_path()
    return parse_checklist(path.read_text(encoding="utf-8"), str(path))


def load_checklist() -> list[ChecklistItem]:
    """The checklist items, grouped by area in the file's area order."""
    return list(_packaged().items)


def load_areas() -> dict[str, str]:
    """Area id -> title, in order (Latency and SLA first)."""
    return dict(_packaged().areas)


def items_by_rule(items: list[ChecklistItem] | None = None) -> dict[str, list[str]]:
    """Rule code -> ids of the checklist items it checks (for `flowgen rules`)."""
    out: dict[str, list[str]] = {}
    for item in items if items is not None else load_checklist():
        for code in item.rules:
            out.setdefault(code, []).append(item.id)
    return out


def guidance(items: list[ChecklistItem] | None = None) -> list[str]:
    """Every item's guidance sentence, in checklist order (for the draft prompt)."""
    return [item.guidance for item in (items if items is not None else load_checklist())]


def _rule_names() -> dict[str, str]:
    """Code -> kebab-case name of every registered rule."""
    from copilot.lint.rules import rules_by_code

    return {code: r.name for code, r in rules_by_code().items()}


def render_markdown(
    items: list[ChecklistItem],
    areas: dict[str, str] | None = None,
    rule_names: dict[str, str] | None = None,
) -> str:
    """The checklist as Markdown: one section per area, one checkbox per item."""
    areas = areas if areas is not None else load_areas()
    names = rule_names if rule_names is not None else _rule_names()
    lines = [
        "# Production-readiness checklist",
        "",
        "A realtime AI automation is production-ready when every answer below is yes.",
        "`flowgen lint` checks each item with the rules it names; `flowgen explain CODE` tells more.",
        "",
    ]
    for area, title in areas.items():
        members = [item for item in items if item.area == area]
        if not members:
            continue
        lines += [f"## {title}", ""]
        for item in members:
            codes = ", ".join(f"`{c}` {names[c]}" if c in names else f"`{c}`" for c in item.rules)
            lines += [
                f"- [ ] **{item.question}** <sub>`{item.id}`</sub>",
                f"  - *Why:* {item.why}",
                f"  - *Do:* {item.guidance}",
                f"  - *Checked by:* {codes}",
            ]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def checklist_data(items: list[ChecklistItem], areas: dict[str, str] | None = None) -> dict[str, Any]:
    """The checklist as plain data (`--format json|yaml`)."""
    areas = areas if areas is not None else load_areas()
    return {
        "areas": [{"id": area, "title": title} for area, title in areas.items()],
        "items": [item.to_dict() for item in items],
    }


def render_checklist(fmt: str) -> str:
    """`flowgen checklist` output in `fmt`: markdown, json or yaml."""
    items = load_checklist()
    if fmt == "markdown":
        return render_markdown(items)
    data = {"version": 1, **checklist_data(items)}
    if fmt == "json":
        import json

        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        import io

        from ruamel.yaml import YAML

        yaml = YAML(typ="safe", pure=True)
        yaml.default_flow_style = False
        yaml.sort_base_mapping_type_on_output = False  # type: ignore[attr-defined]
        yaml.width = 100
        yaml.allow_unicode = True
        buf = io.StringIO()
        yaml.dump(data, buf)
        return buf.getvalue()
    raise FlowgenError(f"unknown checklist format `{fmt}`: use markdown, json or yaml")
