"""The event a flow receives: a sample, a JSON Schema, or a default shape.

`flowgen draft --event FILE` accepts either a sample event (the schema is inferred with
genson) or a JSON Schema (a sample is built from it). The drafter then needs three
things from the shape: the text-like field a prompt should read, the id-like field an
idempotency key should use, and the personal fields that must be redacted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot.errors import FlowgenError
from copilot.lint.rules.observability import looks_personal

# Field names, most telling first: a prompt reads the text, a key names the event.
_TEXT_NAMES = (
    "body",
    "text",
    "message",
    "content",
    "description",
    "comment",
    "review",
    "question",
    "query",
    "prompt",
    "summary",
    "details",
    "note",
    "notes",
    "subject",
    "title",
)
_ID_NAMES = ("id", "event_id", "uuid", "message_id", "request_id", "delivery_id", "key")
MAX_EVENT_BYTES = 256_000
_UNITS = frozenset(
    {
        "lbs",
        "kg",
        "usd",
        "eur",
        "gbp",
        "pct",
        "percent",
        "days",
        "hours",
        "minutes",
        "km",
        "miles",
        "psi",
        "m3",
        "kw",
        "kwh",
        "deg",
        "c",
        "f",
        "mg",
        "ml",
        "bu",
        "years",
        "months",
        "weeks",
        "ms",
        "mph",
        "kmh",
    }
)
# `policy_number`, `order_id`, `serial_no`: the field that keys the thing before its suffix
_KEY_SUFFIXES = frozenset(
    {"id", "number", "no", "num", "ref", "reference", "code", "key", "ein", "vin", "sku", "iban", "isbn"}
)


@dataclass
class EventShape:
    """A sample event and its JSON Schema, plus the fields the drafter uses."""

    sample: dict[str, Any]
    schema: dict[str, Any]
    source: str  # "sample", "schema" or "default"
    fields: list[str] = field(default_factory=list)  # dotted paths of scalar fields

    @property
    def text_field(self) -> str | None:
        """The field a prompt should read: a known text name, else the longest string."""
        named = self.named_text_field
        if named is not None:
            return named
        strings = [f for f in self.fields if _type_at(self.schema, f) == "string"]
        if not strings:
            return None
        candidates = [f for f in strings if f not in self.id_fields and not looks_personal(_leaf(f))]
        return max(candidates or strings, key=lambda f: (len(str(_value_at(self.sample, f) or "")), -len(f)))

    @property
    def named_text_field(self) -> str | None:
        """A string field named like text (body, message, description…); None when only other strings exist.

        `merchant` is the longest string of a card payment, not its text: a prompt then reads
        the whole event instead.
        """
        strings = [f for f in self.fields if _type_at(self.schema, f) == "string"]
        # the body before its subject: `email_body` is what a model reads, `subject` only its title
        weak = _TEXT_NAMES.index("summary")
        for names in (_TEXT_NAMES[:weak], _TEXT_NAMES[weak:]):
            for name in names:
                for path in strings:
                    if path.rsplit(".", 1)[-1].lower() == name:
                        return path
            for name in names:  # then a qualified one: `message_text`, `email_body`
                for path in strings:
                    if path.rsplit(".", 1)[-1].lower().endswith("_" + name):
                        return path
        return None

    def field_named_in(self, text: str) -> str | None:
        """The event field a clause names by its words ("look up the order by the order
        number" -> `order_number`), the longest such name; None when it names none."""
        found: list[str] = []
        for path in self.fields:
            words = re.findall(r"[A-Z]?[a-z0-9]+", _leaf(path))
            if not words:
                continue
            pattern = r"\b" + r"[\s_-]*".join(re.escape(w.lower()) for w in words) + r"s?\b"
            if re.search(pattern, text, re.I):
                found.append(path)
        if not found:
            # "anything over 45,000 lbs" with `weight_lbs`: a field named by its unit
            for path in self.fields:
                unit = _leaf(path).lower().rsplit("_", 1)[-1]
                if "_" in _leaf(path) and unit in _UNITS and re.search(rf"\b{unit}\b", text, re.I):
                    found.append(path)
                parts = _leaf(path).lower().split("_")
                # "anything below 54 mg/dL" with `glucose_mg_dl`: a unit written with a slash
                if (
                    len(parts) >= 3
                    and len(parts[-2]) <= 3
                    and len(parts[-1]) <= 3
                    and re.search(rf"\d\s*{re.escape(parts[-2])}\s*/\s*{re.escape(parts[-1])}\b", text, re.I)
                ):
                    found.append(path)
        if not found:
            # "Pressure under 20 psi" with `pressure_psi`, "the storage temperature" with
            # `storage_temp_c`: every word of the name but its unit is in the clause
            for path in self.fields:
                parts = _leaf(path).lower().split("_")
                named = [p for p in parts if p not in _UNITS]
                if (
                    len(parts) > 1
                    and named
                    and len(named) < len(parts)
                    and all(re.search(rf"\b{re.escape(p)}", text, re.I) for p in named)
                ):
                    found.append(path)
        if not found:
            # "look up the policy in Guidewire" with `policy_number`: the thing's own key
            for path in self.fields:
                *heads, suffix = _leaf(path).lower().split("_")
                head = r"[\s_-]*".join(re.escape(h) for h in heads)
                if (
                    suffix in _KEY_SUFFIXES
                    and len("".join(heads)) >= 3
                    # "the crew member's roster" with `crew_member_id`
                    and re.search(rf"\b{head}(?:s|'s|’s)?\b", text, re.I)
                ):
                    found.append(path)
        if not found:
            # "by phone number" with `from_phone`: the key word the clause says is in the field's name
            for path in self.fields:
                parts = _leaf(path).lower().split("_")
                keyed = re.search(r"\bby\s+(?:the\s+|their\s+|its\s+)?([a-z]+)", text, re.I)
                if len(parts) > 1 and keyed is not None and keyed.group(1).lower() in parts:
                    found.append(path)
        if not found:
            # "If PPV is above 12.5 mm/s" with `peak_particle_velocity_mm_s`: an acronym of its words
            for acronym in re.findall(r"\b([A-Z]{2,5})\b", text):
                for path in self.fields:
                    words = [w for w in _leaf(path).lower().split("_") if w]
                    n = len(acronym)
                    # the rest of the name is its unit (`_mm_s`, `_db`), at most three letters a part
                    if (
                        len(words) >= n
                        and "".join(w[0] for w in words[:n]) == acronym.lower()
                        and all(len(w) <= 3 or w in _UNITS for w in words[n:])
                    ):
                        found.append(path)
        return max(found, key=lambda p: (len(_leaf(p)), -len(p))) if found else None

    def compare_as_numbers(self, conditions: list[str], *, given: bool) -> list[str]:
        """A top-level string field a condition compares with a number (`event.magnitude < 18.5`)
        becomes a number, so a real event's number is accepted and the test never compares a
        string with a float. Only for a shape the drafter read or guessed (`given`: the user's own
        event says what each field is); returns the fields changed."""
        from copilot.flow.expressions import compared_literals

        if given:
            return []
        properties = self.schema.get("properties") or {}
        changed: list[str] = []
        for text in conditions:
            for path, op, value in compared_literals(text):
                name = path[1] if len(path) == 2 and path[0] == "event" else None
                numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
                spec = properties.get(name) if name else None
                if isinstance(value, str) and isinstance(spec, dict) and isinstance(spec.get("type"), list):
                    # `'kids' in event.pool_id`: an id the brief tests as text is text
                    spec["type"] = "string"
                    changed.append(str(name))
                    continue
                if numeric and op != "eq" and isinstance(spec, dict) and spec.get("type") == "string":
                    properties[name] = {"type": "number"}
                    if isinstance(self.sample.get(name), str):
                        self.sample[name] = float(value)
                    changed.append(str(name))
        return changed

    def counted_field(self, noun: str) -> str | None:
        """The one field that counts or measures `noun`: "at least 3 reports" with
        `report_count` (a number compared with a number is never an identifier like
        `player_id`, which "the player" would name)."""
        singular = re.sub(r"(?<=[a-z])(?:es|s)$", "", noun.lower()) if len(noun) > 3 else noun.lower()
        found = [
            path
            for path in self.fields
            if "." not in path
            and (parts := _leaf(path).lower().split("_"))[-1] not in _KEY_SUFFIXES
            and len(parts) > 1
            and any(p in (noun.lower(), singular) for p in parts)
        ]
        return found[0] if len(found) == 1 else None

    def fields_keyed_by(self, phrase: str) -> list[str]:
        """The fields a key phrase names, each part on its own: "lat/long" -> latitude,
        longitude; "candidate_id and license_state" -> both; a part may be a field's short form."""
        out: list[str] = []
        for part in re.split(r"\s*(?:/|,|&|\band\b|\bplus\b)\s*", phrase):
            part = part.strip(" .")
            if not part:
                continue
            named = self.field_named_in(part)
            if named is None and re.fullmatch(r"[a-z]{3,}", part.lower()):
                # "lat" for `latitude`, "long" for `longitude`: a field that starts with the word
                starts = [p for p in self.fields if _leaf(p).lower().startswith(part.lower())]
                named = starts[0] if len(starts) == 1 else None
            if named is not None and named not in out:
                out.append(named)
        return out

    @property
    def listed_key(self) -> str | None:
        """The first field named like a key (`rx_number`, `po_number`, `clinic_id`), if any."""
        for path in self.fields:
            if "_" in _leaf(path) and _leaf(path).lower().rsplit("_", 1)[-1] in _KEY_SUFFIXES:
                return path
        return None

    @property
    def subject_field(self) -> str | None:
        """A short heading field (subject/title) to show next to the text, if any."""
        text = self.text_field
        for name in ("subject", "title"):
            for path in self.fields:
                if path != text and _leaf(path).lower() == name and _type_at(self.schema, path) == "string":
                    return path
        return None

    @property
    def id_fields(self) -> list[str]:
        out = []
        for path in self.fields:
            raw = _leaf(path)
            leaf = raw.lower()
            # `ticket_id` and `ticketId` name things; `paid` and `valid` do not.
            if leaf in _ID_NAMES or leaf.endswith("_id") or raw.endswith("Id"):
                out.append(path)
        return out

    @property
    def id_field(self) -> str | None:
        """The field that names the event uniquely (for the idempotency key)."""
        ids = self.id_fields
        for name in _ID_NAMES:
            for path in ids:
                if _leaf(path).lower() == name:
                    return path
        top_level = [p for p in ids if "." not in p]
        return (top_level or ids or [None])[0]

    @property
    def pii_fields(self) -> list[str]:
        # one reading of "personal" with the linter's FG304/FG713, so a draft never trips them
        return [f for f in self.fields if looks_personal(_leaf(f))]

    def payload(self, *, whole: bool = False) -> dict[str, str]:
        """The event's own fields a call sends on, so the system that gets it knows what it is
        about (the silo, the booking): top-level scalars without personal data. A side effect
        leaves out the free text a prompt reads and the delivery `id` (its body has that
        already); a service that decides (`whole`) gets them."""
        skip = {*self.pii_fields} if whole else {*self.pii_fields, self.named_text_field, "id"}
        required = set(self.schema.get("required") or [])
        # a field the event may leave out is sent as null, never a failed render
        return {
            f: f"{{{{ event.{f} }}}}" if f in required else f"{{{{ event.{f} | default(none) }}}}"
            for f in self.fields
            if "." not in f and f not in skip
        }

    def recipient(self, channel: str, said: str = "") -> str | None:
        """The field that holds where an email or a text goes (`customer_email`, `phone`): one
        whose owner the clause names, or one that names no owner; never `pilot_email` for
        "email every passenger"."""
        # Twilio's `From`, a `sender` or `caller`: the number a text came from, to text back
        # "cell" whole, never inside `free_text_cancellation_reason`
        word = {
            "email": r"e-?mail",
            "sms": r"phone|(?:^|_)(?:mobile|cell|msisdn)(?:_|$)|^from$|from_number|sender|caller",
        }.get(channel)
        if word is None:
            return None
        for f in self.fields:
            if not re.search(word, _leaf(f), re.I):
                continue
            # `phone_number`, `email_address`: the rest of the name says what it is, not whose
            owner = [
                w
                for w in re.split(r"[_\W]+", re.sub(word, " ", _leaf(f), flags=re.I))
                if w and w.lower() not in CONTACT_WORDS
            ]
            if not said or not owner or any(re.search(rf"\b{re.escape(w)}", said, re.I) for w in owner):
                return f
            if all(
                w.lower() in ("customer", "user", "contact", "client", "work", "primary") for w in owner
            ) and not re.search(r"\b(?:every|each|all|the)\s+(?!customer|user|client)[a-z]+s?\b", said, re.I):
                return f
        # "email them the receipt": the person the event is about, when it carries one such field
        own = [f for f in self.fields if re.search(word, _leaf(f), re.I)]
        if (
            len(own) == 1
            and re.search(r"\b(?:them|him|her)\b", said, re.I)
            and not re.search(r"\b(?:the|our|each|every)\s+[a-z]+\b[^.]*\b(?:them|him|her)\b", said, re.I)
        ):
            return own[0]
        return None


# what a contact field's name says of itself, never whose it is: `phone_number`, `email_address`
CONTACT_WORDS = frozenset({"number", "no", "num", "address", "addr"})


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def _value_at(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _type_at(schema: dict[str, Any], path: str) -> str | None:
    node: Any = schema
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = (node.get("properties") or {}).get(part)
    if not isinstance(node, dict):
        return None
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind is None and "enum" in node:
        return "string"
    return kind


def scalar_fields(schema: dict[str, Any], prefix: str = "", depth: int = 0) -> list[str]:
    """Dotted paths of the scalar properties of an object schema (nested objects too)."""
    out: list[str] = []
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict) or depth > 4:
        return out
    for name, sub in props.items():
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            continue  # a template can only reach identifier-like names with dots
        path = f"{prefix}{name}"
        if isinstance(sub, dict) and (sub.get("type") == "object" or "properties" in sub):
            out.extend(scalar_fields(sub, path + ".", depth + 1))
        else:
            out.append(path)
    return out


def infer_schema(sample: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a sample event (genson), without the `$schema` noise."""
    from genson import SchemaBuilder

    builder = SchemaBuilder(schema_uri=None)
    builder.add_object(sample)
    schema = builder.to_schema()
    schema.pop("$schema", None)
    return schema


def sample_from_schema(schema: dict[str, Any], name: str = "value", depth: int = 0) -> Any:
    """A plausible value for a schema: examples, defaults, enums first, else by type."""
    if not isinstance(schema, dict) or depth > 6:
        return None
    for key in ("examples", "example"):
        if key in schema:
            value = schema[key]
            return value[0] if key == "examples" and isinstance(value, list) and value else value
    if "default" in schema:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {k: sample_from_schema(v, k, depth + 1) for k, v in props.items() if isinstance(k, str)}
    if kind == "array":
        item = sample_from_schema(schema.get("items") or {}, name, depth + 1)
        return [] if item is None else [item]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if kind == "string":
        if looks_personal(name) and "mail" in name.lower():
            return "person@example.com"
        return f"{name}-1" if name.lower() in _ID_NAMES or name.lower().endswith("id") else f"example {name}"
    return None


def looks_like_schema(data: dict[str, Any]) -> bool:
    """A JSON Schema rather than a sample: `$schema`, or `type: object` with `properties`."""
    if "$schema" in data:
        return True
    return data.get("type") == "object" and isinstance(data.get("properties"), dict)


def load_event(path: str | Path) -> EventShape:
    """Read `--event FILE`: a sample event or its JSON Schema, as JSON (or YAML)."""
    from copilot.flow.load import read_text

    name = str(path)
    text = read_text(path, max_bytes=MAX_EVENT_BYTES, what="events")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if name.endswith((".yaml", ".yml")):
            from copilot.flow.load import parse_yaml

            data = parse_yaml(text, name).data
        else:
            from copilot.errors import Position

            raise FlowgenError(
                f"--event: not JSON ({exc.msg}); give a sample event or a JSON Schema as JSON",
                path=name,
                position=Position(exc.lineno, exc.colno),
            ) from None
    else:
        from copilot.flow.load import strict_json

        data = strict_json(text, name, what="--event")  # NaN, Infinity, duplicate keys: refused
    if not isinstance(data, dict):
        raise FlowgenError("--event: expected a JSON object (a sample event or a JSON Schema)", path=name)
    return shape_from(data, name)


def shape_from(data: dict[str, Any], name: str = "<event>") -> EventShape:
    if looks_like_schema(data):
        import jsonschema

        schema = {k: v for k, v in data.items() if k not in ("$schema", "$id")}
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise FlowgenError(f"--event: not a valid JSON Schema: {exc.message}", path=name) from None
        sample = sample_from_schema(schema)
        source = "schema"
    else:
        sample, schema, source = data, infer_schema(data), "sample"
    if not isinstance(sample, dict):
        raise FlowgenError("--event: the event must be a JSON object", path=name)
    return EventShape(sample=sample, schema=schema, source=source, fields=scalar_fields(schema))


def default_shape(noun: str = "event") -> EventShape:
    """The shape assumed when no `--event` is given: an id and a text."""
    sample = {"id": f"{noun[:3].upper()}-1001", "text": f"Example {noun} text."}
    schema = {
        "type": "object",
        "required": ["id", "text"],
        "properties": {"id": {"type": "string"}, "text": {"type": "string"}},
    }
    return EventShape(sample=sample, schema=schema, source="default", fields=["id", "text"])
