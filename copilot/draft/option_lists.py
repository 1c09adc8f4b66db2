"""Commas inside a list of options, which never cut a clause: 'say "slow_leak", "blowout_risk"
or "sensor_fault"', "returns compliant, needs_substitution or blocked". Shared by both clause
splitters (`copilot.draft.verbs.clause_spans` and the reader's own)."""

from __future__ import annotations

import re


def quoted_list_comma(sentence: str, at: int) -> bool:
    """Whether the comma at `at` sits inside a list of options: quoted ('"a", "b" or "c"') or
    after a verb that answers with one ("returns compliant, needs_substitution or blocked")."""
    return bool(
        re.search(r"[\"“'`][\w -]{1,30}[\"”'`]$", sentence[:at])
        and re.match(r"\s*(?:(?:and|or)\s+)?[\"“'`][\w -]{1,30}[\"”'`]", sentence[at + 1 :])
    ) or bool(
        (ANSWERS_ONE_OF.search(sentence[:at]) or _AFTER_COLON.search(sentence[:at]))
        and _LIST_REST.match(sentence[at + 1 :])
    )


# "pick a tone for outreach: gentle, firm or escalate": short items after a colon
_AFTER_COLON = re.compile(r":\s*[\w-]+(?:\s*,\s*[\w-]+){0,6}$")


# "… and returns compliant, needs_substitution or blocked": a verb whose object is the option list
ANSWERS_ONE_OF = re.compile(
    r"\b(?:returns?|answers?|outputs?|says?|recommends?|suggests?|(?:labels?|tags?)(?:\s+(?:it|them|each(?:\s+one)?))?|"
    r"marks?\s+(?:it|them)(?:\s+as)?)\s+"
    r"[\w-]+(?:\s*,\s*[\w-]+){0,6}$",
    re.I,
)
_LIST_REST = re.compile(
    r"\s*(?:(?:or|and)\s+)?(?:[\w-]+(?:\s*,\s*(?:or\s+|and\s+)?|\s+(?:or|and)\s+)){0,6}[\w-]+\s*(?:[.;]|$|,\s*(?:with|and|using|based|as|because|for|so|then)\b)",
    re.I,
)


# 'call those "checkin", "address_change", "flight_risk"': the names the brief gives the kinds it
# just described, in order
NAMED_AS = re.compile(
    r"\b(?:call|name|label)\s+(?:those|them|these|each|it|the\s+[\w-]+)\s+(?:as\s+)?"
    r"(?P<names>[\"“'`][\w-]+[\"”'`](?:\s*,?\s*(?:and\s+|or\s+)?[\"“'`][\w-]+[\"”'`]){1,8})",
    re.I,
)
