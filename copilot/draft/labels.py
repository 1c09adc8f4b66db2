"""Reading label and field lists: the labels a classify task chooses between, the fields an extract task returns.

Only an explicit list counts: in parentheses, after into/as/labels:/one of, or a
sentence of its own ("Intents: billing, bug, question"). A label named in a condition
("if it is a refund") becomes a `label` condition on the task (`label_condition`).
`snake` is the one spelling of a label, field or option as an identifier.
"""

# ruff: noqa: E501  (the vocabulary below is regular expressions, one family per line, easier to read whole)
from __future__ import annotations

import re

from copilot.draft.extracted import whether_fields
from copilot.draft.phrases import Match
from copilot.draft.reading import Condition, Task

_KNOWN_LABELS = [
    "faq", "billing", "refund", "bug", "complaint", "question", "feature", "feature request", "sales", "support",
    "spam", "account", "shipping", "technical", "outage", "security", "cancellation", "praise", "other", "urgent",
]  # fmt: skip


def snake(words: str) -> str:
    """`words` as an identifier: lower snake case, no leading article, at most 40 characters."""
    words = re.sub(r"n['’]t\b", " not", words.lower())  # "doesn't exist" -> does_not_exist
    name = re.sub(r"[^a-z0-9]+", "_", re.sub(r"['’](?:s|re|ll|ve|d|m)\b", "", words)).strip("_")
    return re.sub(r"^(the|a|an|their|its|our)_", "", name)[:40]


_FIELDS_END = re.compile(
    # "the insurance carrier if mentioned": how the field may be missing, not a condition
    r"\b(?:from|out of|in the|into|of the|for|so|to|and then|then|before|after|when|"
    r"if(?!\s+(?:mentioned|given|any|present|available|known|provided|stated)\b))\b|[.;:()]"
    # "extract the symptom terms, grounded in our SOP documents": how, not another field
    r"|,?\s*\b(?:grounded|based|using|according|citing|quoting|per|following|with)\b"
    r"|,?\s*\band (?:also )?(?:save|store|send|post|write|push|log|e-?mail|notify|forward|update|summari[sz]e|"
    r"classify|route|alert|ping|put|insert|upsert)\w*",
    re.I,
)


def fields_text(sentence: str, end: int) -> str:
    """The field list after an extract verb: up to a preposition or the next task's verb."""
    # "Extract from the damage_notes which part is damaged": the source first, then the fields
    source = re.match(
        r"\s+from\s+(?:the\s+|its\s+|their\s+|each\s+)?[\w-]+(?=\s+(?:which|what|the)\b)", sentence[end:]
    )
    rest = sentence[end + (source.end() if source else 0) :]
    # "which part is damaged" is the field `damaged_part`
    rest = re.sub(
        r"\b(?:which|what)\s+([a-z]+)\s+(?:is|are|was|were)\s+([a-z]+)\b",
        lambda m: f"{m.group(2)} {m.group(1)}",
        rest,
        flags=re.I,
    )
    return _FIELDS_END.split(rest)[0]


def list_after(sentence: str, end: int) -> list[str]:
    """'the order number, amount and due date' after a verb -> [order_number, amount, due_date]."""
    rest = fields_text(sentence, end)
    asked = whether_fields(rest)  # "whether the caller reports an active leak": active_leak
    rest = re.sub(r"\bwhether\b[^,]*", " ", rest, flags=re.I)
    rest = re.sub(
        r"\s+if\s+(?:mentioned|given|any|present|available|known|provided|stated)\b", "", rest, flags=re.I
    )
    items = [snake(p) for p in re.split(r",|\band\b|\bor\b|/|\+|&", rest)] + list(asked)
    return [
        i for i in items if i and len(i) <= 40 and i not in ("it", "them", "this", "that", "data", "info")
    ][:8]


# "whether it is", "if its", "if this is": a list of kinds follows
_WHETHER_IT_IS = re.compile(r"\b(?:whether|if)\s+(?:it\s+is|it['’]?s|this\s+is|the\s+[a-z]+\s+is)\s*$", re.I)
_LIST_INTRO = re.compile(
    # "into one of: moving away, price, …": a colon may follow "one of"
    r"\b(?:into|as|labels?\s*:|categories\s*:|intents?\s*:|one of\s*:?|either)\s+(?:one of\s*:?\s*)?(?:either\s+)?",
    re.I,
)
_LIST_STOP = re.compile(
    # "classify the cause from the caption as a, b or c": a source named before the list is no stop
    r"[.;:()!?]|\bwith\s+(?:a|an|the|our|some)\b|\bfrom(?!\s+(?:the\s+|its\s+|their\s+)?[\w-]+\s+(?:as|into)\b)|"
    # "as low, moderate or urgent based on the reading": how it judges, after the list
    r"\b(?:based\s+on|according\s+to|depending\s+on|given)\b|"
    r"\b(?:then|so|by|via|through|thru|within|under|if|when|whenever|unless|before|after|"
    r"and (?:then |also )?(?:the|a|an|our|any|anything|all|everything|each|it|them|answer\w*|send\w*|post\w*|"
    r"notif\w*|page\w*|stor\w*|sav\w*|escalat\w*|repl\w*|route\w*|forward\w*|log\w*|alert\w*|ping\w*|e-?mail\w*|"
    r"summari[sz]\w*|extract\w*|scor\w*|flag\w*|draft\w*|write\w*|push\w*|updat\w*|creat\w*|"
    # "… or not a leak, and estimate severity from 1 to 5": the next model task, no label
    r"estimat\w*|rate|rates|rank\w*|assess\w*|evaluat\w*|predict\w*|detect\w*|identif\w*|determin\w*|gives?|assigns?|"
    r"decid\w*|translat\w*|judge\w*))\b",
    re.I,
)
_NOT_LABELS = {
    "webhook", "webhooks", "queue", "topic", "stream", "kafka", "slack", "teams", "email", "emails", "pagerduty",
    "sms", "api", "http", "it", "them", "this", "that", "category", "categories", "type", "types", "urgency",
    "priority", "intent", "intents", "sentiment", "label", "labels", "one", "ones", "each", "tickets", "ticket",
}  # fmt: skip
_LABEL_WORDS = {w for label in ("faq", "billing", "refund", "bug", "complaint", "question", "feature", "sales",
                                "support", "spam", "account", "shipping", "technical", "outage", "security",
                                "cancellation", "praise", "other", "urgent", "pricing", "partnership", "ham",
                                "positive", "negative", "neutral", "legal", "returns", "delivery", "invoice")
                for w in [label]}  # fmt: skip


def _label_items(text: str) -> list[str]:
    """'billing bug account or other' -> [billing, bug, account, other]: known words split on spaces."""
    items: list[str] = []
    # "moving, price, injury, not using it, unhappy w staff, other": a list this plainly comma-
    # separated keeps its three-word items
    listed = text.count(",") >= 3 or (
        # "equipment fault, husbandry issue or animal welfare concern": a closed list of three or more
        text.count(",") >= 1 and re.search(r"\bor\b", text, re.I) is not None
    )
    for part in re.split(r",|\bor\b|\band\b|/|\|", text):
        words = [
            w for w in re.findall(r"[\w'-]+", part.lower()) if w not in ("the", "a", "an", "either", "our")
        ]
        if not words:
            continue
        if len(words) > 1 and all(w in _LABEL_WORDS for w in words):
            candidates = words  # a list written without commas
        elif (
            len(words) <= 2
            or (listed and len(words) == 3)
            or (
                # "feature requests", "pets on furniture": a noun and its qualifier
                len(words) == 3
                and words[1] in ("request", "requests", "on", "in", "of", "with", "at", "without")
            )
        ):
            candidates = [" ".join(words)]
        else:
            continue  # a phrase, not a label
        for candidate in candidates:
            name = snake(candidate)
            if name in ("something_else", "anything_else", "everything_else", "else", "other_stuff"):
                name = "other"  # "…, or something else": the rest, by its usual name
            if (
                name
                and len(name) <= 30
                and name not in _NOT_LABELS
                and not name.isdigit()
                and name not in items
            ):
                items.append(name)
    return items


# "severity S1-S4", "priority P1 to P3": a range of labels written as a prefix and numbers
LABEL_RANGE = re.compile(r"\b([A-Za-z]{1,3})([0-9])\s*(?:-|–|to|through)\s*(?:\1)?([0-9])\b")


def range_labels(text: str) -> list[str]:
    """ "S1-S4" -> [s1, s2, s3, s4]; [] when the text holds no such range."""
    m = LABEL_RANGE.search(text)
    if m is None or not int(m.group(2)) < int(m.group(3)) <= int(m.group(2)) + 9:
        return []
    return [f"{m.group(1).lower()}{n}" for n in range(int(m.group(2)), int(m.group(3)) + 1)]


def listed_labels(sentence: str, end: int) -> tuple[list[str], tuple[int, int] | None]:
    """Labels listed after a classify verb, and where the list is.

    Only an explicit list counts: in parentheses, after into/as/labels:/one of, a range
    ("S1-S4"), or straight after "label them"/"tag it". Words such as "by webhook" are never
    labels.
    """
    rest = sentence[end:]
    ranged = re.match(r"\s*(?:as\s+|from\s+|of\s+)?", rest)
    if ranged is not None and LABEL_RANGE.match(rest, ranged.end()) and range_labels(rest[ranged.end() :]):
        found = LABEL_RANGE.match(rest, ranged.end())
        assert found is not None
        return range_labels(found.group(0)), (end + found.start(), end + found.end())
    paren = re.match(r"\s*(?:[\w-]+\s+){0,3}?\(([^)]+)\)", rest, re.I)
    if paren:
        items = _label_items(paren.group(1))
        if len(items) >= 2:
            return items[:12], (end + paren.start(1), end + paren.end(1))
    colon = (
        re.match(r"\s*(?:[\w-]+\s+){0,3}?[\w-]*\s*:\s*([^.;:()]+)", rest)
        # "the cancellation reason into one of: moving away, price, …"
        or re.match(
            r"\s*(?:[\w-]+\s+){0,6}?(?:one\s+of|into|as|labels|categories|classes|list|options|themes|types|scheme|scale)"
            r"\s*:\s*([^.;:()]+)",
            rest,
        )
    ) or re.match(
        r"\s*(?:it|them|each(?:\s+one)?)?\s*[-–—]\s+([^.;:()]+)",
        rest,  # "tag it - moving, price, …"
    )
    if colon:
        # "Classify urgency: emergency / urgent / routine": the list after the colon
        items = _label_items(colon.group(1))
        if 2 <= len(items) <= 12 and all(len(i.split()) <= 2 for i in items):
            return items, (end + colon.start(1), end + colon.end(1))
    # "as grade 1 (immediate hazard), grade 2 or grade 3": an aside inside the list is no stop
    rest = re.sub(r"\([^()]*\)", lambda m: " " * len(m.group(0)), rest)
    stop = _LIST_STOP.search(rest)
    window = rest[: stop.start() if stop else len(rest)]
    if _WHETHER_IT_IS.search(sentence[:end]):
        # "Identify whether it is a data export, a deletion request, a consent withdrawal for
        # research, or not a privacy request at all": each kind named (the rest is "other")
        items = []
        for part in re.split(r"\s*,\s*(?:or\s+)?|\s+or\s+", window.strip()):
            part = re.sub(r"^(?:an?|the)\s+", "", part.strip(), flags=re.I)
            # "an emergency like cant breathe / chest pain": the kind, without its examples
            part = re.split(r"\s+(?:for|of|at|in|on|to|about|like|such\s+as|e\.g\.|eg)\b", part, maxsplit=1)[
                0
            ]
            if not part or re.match(r"(?:not|something|anything|other|none)\b", part, re.I):
                continue
            if len(part.split()) <= 3:
                items.append(snake(part))
        if len(items) >= 2:
            return list(dict.fromkeys(items))[:12], (end, end + len(window.rstrip()))
    intro = _LIST_INTRO.search(window)
    if intro:
        start = intro.end()
    else:
        # "label them …", "labels the request auto_approve, manager_approval or deny"
        # "label each expense compliant, needs_receipt, …": the object, then the labels
        direct = re.match(
            r"\s*(?:it|them|each(?: one)?(?!\s+(?:one|of)\b)(?:\s+[a-z]+(?=\s+[a-z_]+\s*,))?|these|those|the\s+[a-z]+)\s+",
            window,
            re.I,
        )
        if not direct and re.search(
            r"\b(?:label|tag|mark)\w*\s+(?:it|them|each(?:\s+one)?)\s*$", sentence[:end], re.I
        ):
            # "tags them birthday, corporate, bachelorette or none": the object was read with the verb
            direct = re.match(r"\s*", window)
        if not direct or not re.search(
            r"\b(label|tag|mark)\w*(?:\s+(?:it|them|each(?:\s+one)?))?\s*$", sentence[:end], re.I
        ):
            return [], None
        start = direct.end()
    listed = window[start:]
    # "as in_warranty, out_of_warranty or possible_misuse, answering strictly from our policy":
    # the list ends with its last "or" item; what follows the comma is how, not a label
    closed = re.search(r"\b(?:or|and)\s+[^,]+?(?=\s*,)", listed)
    if closed is not None and listed[: closed.start()].count(",") >= 1:
        listed = listed[: closed.end()]
    items = _label_items(listed)
    if len(items) < 2:
        return [], None
    return items[:12], (end + start, end + start + len(listed.rstrip()))


def label_items(text: str) -> list[str]:
    """The labels in a list's text (public for the task reader)."""
    return _label_items(text)


_LABEL_SENTENCE = re.compile(r"^\s*(?:intents?|labels?|categories|classes|buckets|tags)\s*:\s*(.+)$", re.I)


def label_condition(sentence: str, task: Task, labels: list[str]) -> Condition | None:
    """'answer FAQ tickets', 'forward demo requests', 'the billing ones answered' -> a label condition."""
    known = {snake(label) for label in _KNOWN_LABELS}
    nouns = r"(?:tickets|questions|ones|requests|emails|messages|cases|issues|reviews)"
    after = re.match(
        r"\s+(?:the\s+|all\s+|any\s+)?(?:simple\s+)?([\w-]+)(?:\s+([\w-]+))?", sentence[task.end :], re.I
    )
    if after:
        one, two = after.group(1), after.group(2)
        attempts = ([[one, two]] if two else []) + [[one]]
        for words in attempts:
            name = snake(" ".join(words))
            for candidate in dict.fromkeys((name, name[:-1] if name.endswith("s") else name)):
                if candidate == "other":
                    continue
                # the brief's own labels as they are; a known label only before a noun ("FAQ tickets")
                if candidate in labels or (
                    candidate in known and len(words) == 1 and two and re.fullmatch(nouns, two, re.I)
                ):
                    return Condition("label", f"{task.text} {' '.join(words)}", "==", candidate)
    before = re.search(
        rf"\bthe\s+([\w-]+)\s+(?:ones|{nouns})\s+(?:(?:get|are|should be|to be|will be)\s+)?$",
        sentence[max(0, task.start - 40) : task.start],
        re.I,
    )
    if before:
        name = snake(before.group(1))
        if (name in labels or name in known) and name != "other":
            return Condition("label", f"the {before.group(1)} ones {task.text}", "==", name)
    return None


def read_label_lists(sentences: list[str], tasks: list[Task], matches: list[Match]) -> None:
    """'Intents: play music, set timer, weather, other.' as a sentence of its own."""
    classify = next((t for t in tasks if t.kind == "classify"), None)
    for index, sentence in enumerate(sentences):
        m = _LABEL_SENTENCE.match(sentence)
        if m is None:
            continue
        items = _label_items(m.group(1))
        if len(items) >= 2:
            matches.append(Match("labels", sentence, index, 0, len(sentence)))
            if classify is not None and not classify.labels:
                classify.labels = items[:12]
