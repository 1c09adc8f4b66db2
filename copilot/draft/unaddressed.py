"""A message the flow sends to no one.

"Email the hall's RA a summary" with no address the flow can read: the drafted email step has no
`to`, so it goes wherever the mail API defaults, or nowhere. That is a gap (DR014), said with
the step, never a silent success: give the step a `to` (an event field, a lookup's answer, or
`${env:…}` for one of the team's people).
"""

from __future__ import annotations

import re
from typing import Any

from copilot.draft.findings import finding

__all__ = ["unaddressed"]

# the sends that need a person's address: an email or a text message
_PERSONAL = re.compile(r"^(?:notify_)?(?:email|sms|text)\b|(?:^|_)(?:email|sms)(?:_\d+)?$", re.I)


def unaddressed(data: dict[str, Any]) -> list[dict[str, Any]]:
    """A DR014 finding for each email or text step whose request names no recipient."""
    out: list[dict[str, Any]] = []
    steps = data.get("steps") if isinstance(data.get("steps"), list) else []
    for index, step in enumerate(steps):
        if not isinstance(step, dict) or step.get("type") != "http":
            continue
        sid = str(step.get("id", ""))
        request = step.get("request") if isinstance(step.get("request"), dict) else {}
        body = request.get("json")
        if not _PERSONAL.search(sid) or not isinstance(body, dict) or body.get("to"):
            continue
        kind = "a text message" if re.search(r"sms|text", sid) else "an email"
        quoted = (step.get("why") or {}).get("brief") if isinstance(step.get("why"), dict) else None
        clause = (quoted[0] if isinstance(quoted, list) and quoted else quoted) or sid
        out.append(
            finding(
                "DR014",
                f"`{sid}` sends {kind} to no one: the brief says {str(clause)!r} and the draft could not "
                "tell whose address that is",
                ["steps", index, "request", "json"],
                "add `to:` to its body: an event field, what a lookup returns, or `${env:NAME}` for one of "
                "your team",
                clause=str(clause),
            )
        )
    return out
