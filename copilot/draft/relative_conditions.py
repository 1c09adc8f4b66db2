"""Conditions that say more than the threshold read in them.

"If temp_c is more than 25 degrees below the lower bound of the window" compares the reading
with another value: read as `temp_c > 25` it fires on every reading of molten steel, so the
whole clause stays unread (the classifier's guess, said as one) until a rule reads both sides.
"For claims under $600 that are valid, unpaid and not high risk" limits the payout by four
things, not one: the qualifiers after "that are" join the threshold, each a guess said as one,
never dropped.
"""

from __future__ import annotations

import re

from copilot.draft.condition_names import condition_field
from copilot.draft.reading import Condition

__all__ = ["SAYS", "gap_atoms", "qualified_leads", "relative_thresholds"]

# "25 degrees below the lower bound", "20% below assessed value", "10 points above their average"
_RELATIVE = re.compile(
    r"\d[\d,.]*\s*(?:%|°\s*[cf]?|(?!(?:or|and)\b)[a-z°]+\.?\s+){0,2}?"
    r"(?:below|above|under|over|short\s+of|beyond|less\s+than|more\s+than|higher\s+than|lower\s+than)\s+"
    r"(?:the|its|their|his|her|our|a|an|this|that|[a-z]+\s+(?:value|price|bound|limit|level|average|target|"
    r"threshold|window|range|baseline|mean|median|minimum|maximum|estimate|amount|total|reading|set\s*point))\b",
    re.I,
)
# "if the client says theyre under 18": what a text claims, which only a model can judge
SAYS = r"\b(?:says?|said|mentions?|mentioned|writes?|wrote|claims?|claimed|tells?\s+us)\b"
_SAID_IN_TEXT = re.compile(SAYS + r"[^,;]*?\d", re.I)
# "… under $600 that are valid, unpaid and not high risk,": what else the subject must be
_QUALIFIED = re.compile(
    r"\s*(?:that|which|who)\s+(?:are|is|were|was)\s+"
    r"(?P<rest>[\w$%' -]{2,40}?(?:\s*,\s*[\w$%' -]{2,40}?)*(?:\s*,?\s*\b(?:and|or)\s+[\w$%' -]{2,40}?)?)\s*,",
    re.I,
)


def relative_thresholds(
    sentence: str, mapped: list[tuple[int, int, Condition]], unread: list[tuple[int, int, str]]
) -> list[tuple[int, int, Condition]]:
    """`mapped` without the thresholds that compare with another value; each such clause joins
    `unread` whole."""
    # "look up the date … to see if its already booked": the lookup's question; "our When I Work
    # roster": a product's name; neither is a condition on anything
    unread[:] = [
        u
        for u in unread
        if not re.search(
            r"\bto\s+(?:see|check|find\s+out|confirm|learn|know)\s*$",
            sentence[max(0, u[0] - 30) : u[0]],
            re.I,
        )
        and not (
            re.search(r"\b(?:our|the|in|from|via|using)\s+$", sentence[max(0, u[0] - 12) : u[0]], re.I)
            and re.match(r"[A-Z][a-z]+\s+[A-Z]", sentence[u[0] :])
        )
    ]
    kept = []
    for start, end, cond in mapped:
        parts = [cond, *cond.alternatives]
        if cond.kind == "event" and _SAID_IN_TEXT.search(sentence[start:end]):
            # "if the client says theyre under 18 anywhere in the notes": what the text claims, a
            # judgement of its words, never a number field
            unread[:] = [u for u in unread if not (start <= u[0] < end)]
            unread.append((start, end, sentence[start:end].strip(" ,")))
            continue
        if any(
            p.kind in ("event", "score", "field") and p.value is not None for p in parts
        ) and _RELATIVE.search(sentence[start:end]):
            text = sentence[start:end].strip(" ,")
            unread[:] = [u for u in unread if not (start <= u[0] < end)]
            unread.append((start, end, text))
            continue
        kept.append((start, end, cond))
    return kept


def qualified_leads(sentence: str, mapped: list[tuple[int, int, Condition]]) -> None:
    """Join what a lead's "that are …" says to the threshold it qualifies, each part a guess."""
    for _, end, cond in mapped:
        m = _QUALIFIED.match(sentence, end)
        if m is None or (cond.alternatives and not cond.all_of):
            continue
        rest = [p.strip() for p in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", m.group("rest")) if p.strip()]
        if " or " in m.group("rest") or not rest or len(rest) > 4:
            continue
        cond.alternatives += [
            Condition("field", p, "==", True, output_field=condition_field(p)) for p in rest
        ]
        cond.all_of = True
        cond.text = f"{cond.text.strip()} {m.group(0).strip(' ,')}"


# "temp_c is more than 25 degrees below the lower bound of the window": a field against a value
# the brief names in words (which a lookup returns), by a margin
_GAP_TO_VALUE = re.compile(
    r"\b([a-z][a-z0-9]*_[a-z0-9_]+)\s+(?:is\s+|are\s+|runs\s+)?(more|less|at least|at most)\s+(?:than\s+)?"
    r"(\d+(?:\.\d+)?)\s*(?:[a-z%°]+\s+){0,2}?(above|over|below|under|higher than|lower than)\s+"
    r"(?:the\s+|its\s+|their\s+)((?:[a-z]+\s+){0,5}?[a-z]+)(?=\s*(?:$|[,.;)]|\s+(?:and|or|then)\b))",
    re.I,
)
_LINKS = frozenset({"the", "of", "a", "an", "its", "their", "for", "this", "that"})


def gap_atoms(part: str, a: int) -> list[tuple[int, int, Condition]]:
    """Each "field is more than N below/above the <value>" in `part` (which starts at `a`): the
    field against that value (`fields`, a lookup's when the event lacks it) shifted by N."""
    out = []
    for m in _GAP_TO_VALUE.finditer(part):
        above = m.group(4).lower() in ("above", "over", "higher than")
        said = m.group(2).lower()
        beyond = said in ("more", "at least")  # past the margin, or within it
        op = (">" if above else "<") if beyond else ("<" if above else ">")
        if said in ("at least", "at most"):
            op += "="
        other = "_".join(w for w in re.findall(r"[a-z0-9]+", m.group(5).lower()) if w not in _LINKS)
        gap = float(m.group(3))
        out.append(
            (
                a + m.start(),
                a + m.end(),
                Condition(
                    "fields", m.group(0), op, other, output_field=m.group(1), offset=gap if above else -gap
                ),
            )
        )
    return out
