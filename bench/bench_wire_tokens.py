"""What one drafting request carries and what its answer holds, full schema vs compact (issue 17).

A small model on a CPU pays for every token it reads (prompt processing) and, far more, for
every token it writes under a grammar. The compact wire schema (`--schema compact`, the
default for a server on loopback; copilot/draft/wire.py, `COMPACT_LEAVE_OUT`) leaves out
what flowgen fills itself. For both modes this prints, for one request:

- the `response_format` schema as sent (compact JSON, as httpx sends it);
- the messages (system + user) for `examples/briefs/support-triage.md`, as `flowgen prompt
  [--schema compact]` prints them;
- the answer: the support-triage flow of tests/draft/answers as a grammar-constrained server
  makes the model write it (every key of the wire schema, `null` for what is left out), in
  compact JSON; in compact mode, only the keys of the compact schema.

Tokens are counted by a tokenizer when one is installed and has its data offline
(`tiktoken` with o200k_base cached; `pip install tiktoken`), else at the catalog's estimate
of four characters a token (`copilot.flow.estimate.estimate_tokens`), and the output says
which. Sizes are deterministic: there is no spread to report and nothing is cached.

    .venv/bin/python bench/bench_wire_tokens.py [--json]

Measured (chars / 4: tiktoken installs, but its encodings download from the network):

    |                              | full                   | compact                | compact/full |
    | response_format schema       | 5,536 tok (22,141 ch)  | 2,528 tok (10,111 ch)  | 0.46 |
    | messages (system + user)     | 4,625 tok (18,498 ch)  | 2,775 tok (11,100 ch)  | 0.60 |
    | request (schema + messages)  | 10,161 tok             | 5,303 tok              | 0.52 |
    | answer (support-triage flow) | 2,333 tok (9,332 ch)   | 1,287 tok (5,145 ch)   | 0.55 |
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BRIEF = ROOT / "examples" / "briefs" / "support-triage.md"
ANSWER = ROOT / "tests" / "draft" / "answers" / "support-triage.yaml"


def counter() -> tuple[str, Callable[[str], int]]:
    """(name, count) of the best token counter available offline."""
    try:
        import tiktoken

        encoding = tiktoken.get_encoding("o200k_base")
        return "tiktoken o200k_base", lambda text: len(encoding.encode(text))
    except Exception:  # not installed, or its data cannot be fetched offline
        from copilot.flow.estimate import estimate_tokens

        return "chars / 4 (the catalog's estimate; no tokenizer data offline)", estimate_tokens


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    return node


def shaped(value: Any, node: dict[str, Any], defs: dict[str, Any]) -> Any:
    """`value` (in the full wire shape) with only the keys the schema `node` declares."""
    node = _resolve(node, defs)
    if "anyOf" in node:
        for branch in (_resolve(b, defs) for b in node["anyOf"]):
            kind = branch.get("type")
            if isinstance(value, dict) and kind == "object":
                tag = branch.get("properties", {}).get("type", {}).get("enum")
                if tag is None or value.get("type") in tag:
                    return shaped(value, branch, defs)
            if isinstance(value, list) and kind == "array":
                return shaped(value, branch, defs)
        return value
    if isinstance(value, dict) and node.get("type") == "object":
        props = node.get("properties", {})
        return {key: shaped(value.get(key), sub, defs) for key, sub in props.items()}
    if isinstance(value, list) and node.get("type") == "array":
        return [shaped(item, node.get("items", {}), defs) for item in value]
    return value


def measure() -> dict[str, Any]:
    from copilot.catalog import default_catalog
    from copilot.draft.prompt import draft_messages
    from copilot.draft.request import DraftRequest
    from copilot.draft.wire import response_format, to_wire
    from copilot.flow.document import load_document

    name, count = counter()
    request = DraftRequest(brief=BRIEF.read_text(encoding="utf-8"), catalog=default_catalog())
    data = load_document(ANSWER).data
    full_answer = to_wire(data)
    out: dict[str, Any] = {"counter": name, "modes": {}}
    for mode in ("full", "compact"):
        compact = mode == "compact"
        schema = response_format(compact)["json_schema"]["schema"]
        schema_text = json.dumps(response_format(compact), separators=(",", ":"))
        messages = draft_messages(request, compact=compact)
        message_text = "".join(m["content"] for m in messages)
        answer = shaped(full_answer, schema, schema.get("$defs", {})) if compact else full_answer
        answer_text = json.dumps(answer, separators=(",", ":"), ensure_ascii=False)
        out["modes"][mode] = {
            "schema_chars": len(schema_text),
            "schema_tokens": count(schema_text),
            "messages_chars": len(message_text),
            "messages_tokens": count(message_text),
            "answer_chars": len(answer_text),
            "answer_tokens": count(answer_text),
        }
    for mode in out["modes"].values():
        mode["request_tokens"] = mode["schema_tokens"] + mode["messages_tokens"]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    figures = measure()
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"tokens: {figures['counter']}")
    full, compact = figures["modes"]["full"], figures["modes"]["compact"]
    print(f"{'':28}{'full':>18}{'compact':>18}{'compact/full':>14}")
    for key, label in (
        ("schema", "response_format schema"),
        ("messages", "messages (system + user)"),
        ("request", "request (schema + messages)"),
        ("answer", "answer (support-triage)"),
    ):
        tokens = f"{key}_tokens"
        chars = f"{key}_chars"
        row = [f"{full[tokens]:,} tok", f"{compact[tokens]:,} tok"]
        if chars in full:
            row = [f"{full[tokens]:,} ({full[chars]:,} ch)", f"{compact[tokens]:,} ({compact[chars]:,} ch)"]
        print(f"{label:28}{row[0]:>18}{row[1]:>18}{compact[tokens] / full[tokens]:>14.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
