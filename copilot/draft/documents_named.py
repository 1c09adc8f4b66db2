"""What a brief says about the documents a model works from, besides a lookup: "The feasibility
reasoning must only use our Installation Standards guide" grounds the model task the sentence's
subject names (`ruled_by_documents`); "email the owner a confirmation with the prep tips from our
grooming guide" gives the message a writer grounded in the guide (`written_from_documents`).
`WRITES_FROM` is a writer's own clause naming the document it writes from. Used by
`copilot.draft.reader`.
"""

from __future__ import annotations

import re

from copilot.draft.phrases import DOCUMENT_NOUNS, Match
from copilot.draft.reading import Task
from copilot.draft.tasks import quote_for

# a writer's own clause naming the document it writes from
WRITES_FROM = re.compile(
    r"\b(?:using|from|based on|grounded (?:in|on)|according to|following|per|citing)\s+"
    r"(?:the\s+|our\s+|its\s+)?[\"“]?(?:[\w'-]+\s+){0,4}?(?P<docs>(?i:polic(?:y|ies)|"
    + DOCUMENT_NOUNS
    + r"))\b"
)


_RULED_BY = re.compile(
    r"^\W*(?:the\s+|our\s+|its\s+)?(?P<subject>(?:[\w'’-]+\s+){1,4}?)(?:must|should|has\s+to|needs?\s+to|may)\s+"
    r"(?:only\s+)?(?:use|come\s+from|be\s+based\s+on|rely\s+on|draw\s+on)\s+(?:only\s+)?(?:the\s+|our\s+)?"
    r"(?:[\w'\"“”&-]+\s+){0,5}?(?P<docs>(?i:" + DOCUMENT_NOUNS + r"))\b",
    re.I,
)
_MODEL_WORK = ("score", "classify", "decide", "extract", "summarise", "reply", "answer", "moderate")


def ruled_by_documents(sentences: list[str], tasks: list[Task], matches: list[Match]) -> None:
    """ "The feasibility reasoning must only use our Installation Standards guide": the model
    task the sentence's subject names (the feasibility score) works from those documents."""
    for index, sentence in enumerate(sentences):
        m = _RULED_BY.match(sentence)
        if m is None or any(t.sentence == index and t.start >= 0 for t in tasks):
            continue
        subject = {w for w in re.findall(r"[a-z]{4,}", m.group("subject").lower())}
        for task in tasks:
            said = set(
                re.findall(r"[a-z]{4,}", " ".join([task.quote or "", *task.quotes, task.text]).lower())
            )
            if task.kind in _MODEL_WORK and not task.docs and subject & said:
                task.docs = m.group("docs").lower()
                task.kind = "answer" if task.kind == "reply" else task.kind
                # ", not general knowledge": the same rule, said the other way round
                rest = re.match(
                    r"\s*,?\s*(?:and\s+)?(?:not|never)\s+[\w\s'’-]+[.!]?\s*$", sentence[m.end() :], re.I
                )
                end = len(sentence) if rest else m.end()
                matches.append(Match("docs", sentence[m.start() : end], index, m.start(), end))
                break


def written_from_documents(sentences: list[str], tasks: list[Task]) -> list[Task]:
    """ "email the owner a confirmation with the prep tips from our grooming guide": a message
    whose content the brief says comes from documents needs a writer grounded in them, whose
    text the message carries; the response alone, or the raw event, is not that content."""
    out = list(tasks)
    for task in tasks:
        if task.kind != "notify" or task.start < 0 or task.source:
            continue
        named = WRITES_FROM.search(task.quote or quote_for(sentences[task.sentence], task.start))
        if named is None:
            continue
        writer = next(
            (t for t in tasks if t.kind in ("reply", "answer") and t.sentence == task.sentence), None
        )
        if writer is None:
            writer = Task("answer", task.text, task.sentence, task.start, docs=named.group("docs").lower())
            writer.quote = task.quote
            writer.condition = task.condition
            writer.unmapped_condition = task.unmapped_condition
            out.insert(out.index(task), writer)
        task.source = writer.kind
        task.after = list(dict.fromkeys([*task.after, writer.kind]))
    return out


def fetched_not_documents(tasks: list[Task]) -> None:
    """ "Look up the regional checklist for that location from the eBird API. Classify the sighting
    …, using the checklist": what a lookup fetched is read from the lookup, never a set of
    documents to retrieve from (which nobody has)."""
    fetched = " ".join((t.quote or t.text).lower() for t in tasks if t.kind == "enrich" and not t.docs)
    for task in tasks:
        if not task.docs or task.kind in ("answer", "reply"):
            continue
        head = task.docs.lower().split()[-1].rstrip("s") if task.docs.split() else ""
        if len(head) >= 4 and re.search(rf"\b{re.escape(head)}s?\b", fetched):
            task.docs = None
