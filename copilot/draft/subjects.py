"""Who and what a clause is about: the systems it names ("look up the policy in Guidewire")
and the events its subject limits it to ("Benign alerts get closed", "Leads scoring 75 or
above get assigned", "Complaints go to the head's inbox", a value the brief lists).

Shared by the requirement-clause reader (`copilot.draft.clauses`), the coverage check and the
drafter's task and condition readers, so the yardstick and the drafter read a subject alike.
"""

# ruff: noqa: E501  (the vocabulary below is regular expressions and word lists, easier to read whole)
from __future__ import annotations

import re


def listed_values(brief: str) -> set[str]:
    """Words the brief lists as values (labels, categories): "(absences, questions about homework,
    complaints, bullying reports)", "as glass, collision or theft"; lowercase, singular too."""
    found: set[str] = set()
    lists = re.findall(r"\(([^()]{3,200})\)", brief)
    lists += [
        m.group(1)
        for m in re.finditer(
            r"\b(?:as|into|one of)\s+((?:[\w'-]+\s+){0,3}?[\w'-]+(?:\s*,\s*[\w' -]+){1,8}\s*,?\s+(?:or|and)\s+[\w'-]+(?:\s+[\w'-]+)?)",
            re.sub(r"\s*\([^()]*\)", "", brief),  # "as grade 1 (immediate hazard), grade 2 or grade 3"
            re.I,
        )
    ]
    from copilot.draft.labels import range_labels

    for m in re.finditer(r"\b[A-Za-z]{1,3}[0-9]\s*(?:-|–|to|through)\s*[A-Za-z]{0,3}[0-9]\b", brief):
        found.update(range_labels(m.group(0)))  # "severity S1-S4": s1 … s4
    for items in lists:
        for item in re.split(r"\s*(?:,|;|/|\bor\b|\band\b)\s*", items):
            words = item.strip().lower().split()
            if 1 <= len(words) <= 3:
                phrase = " ".join(words)
                found.add(phrase)
                found.add(phrase.rstrip("s"))
    return found


# Capitalised names after a preposition: the systems a clause reads or writes ("in Guidewire",
# "through CrowdStrike Falcon", "from Chargebee", "to the SOC queue in Jira", "in ezyVet").
_SYSTEM = re.compile(
    r"\b(?:in|into|to|via|through|thru|using|with|from|on|onto|against|inside)\s+"
    # "on the existing Jira issue": one adjective between the article and the name
    r"(?:(?:the|our|their|its|a)\s+(?:(?:existing|new|same|shared|main|right|relevant|original|current)\s+)?)?"
    r"(?:[a-z][\w-]*'s\s+)?"  # "to the patient's MyChart inbox"
    r"((?:[A-Z][\w.-]*[A-Za-z0-9]|[A-Z]{2,}|[a-z]+[A-Z][\w.-]*[A-Za-z0-9])(?:\s+(?:&\s+)?[A-Z][\w-]*)*)\b"
    # "in the LOG project", "to the #SOC channel": a place inside a system, not the system
    r"(?!(?:['’]s)?(?:\s+(?:&\s+)?[A-Z][\w-]*)*?\s+(?i:project|channel|queue|team|folder|board|workspace|space|field|column|tab|list|group|label|plan|tier|level|package|programme|program|"
    # "against our Pest Guide handbook": the name of documents, read by a retrieval, not a system
    r"handbook|guide|guidelines|policy|manual|pdf|docs|documents?|documentation|sop|playbook|runbook|wiki|articles|faq|brochure|protocol)\b"
    # "in our Procore project directory": a noun after it makes the place word a modifier of the system's part
    r"(?!\s+(?i:directory|database|system|api|tracker|module|app|portal|register|catalog|catalogue)\b))"
    # "the pharmacy system (PioneerRx)": the name in parentheses
    # … or in lower case: "our rooms spreadsheet (google sheets)"
    r"|\b(?:system|tool|platform|app|service|database|db|crm|erp|api|spreadsheet|sheet|calendar)\s*"
    r"\(((?:[A-Z][\w.-]*|[a-z][\w.-]+(?:\s+[a-z][\w.-]+)?))(?:\s+(?:API|api|Api))?\)"
    # "check our Brightwheel roster", "query the Koha catalogue": the system a read names as its object
    r"|\b(?i:check|query|search|consult|poll)\s+(?i:the|our|their)\s+([A-Z][a-z][\w.-]*[A-Za-z0-9])\s+(?i:roster|catalog(?:ue)?|"
    r"calendar|inventory|records?|database|account|schedule|register|system|api|ledger|table)\b"
    # "check HubSpot for notes that …": a named system straight after the verb, then what is sought
    r"|\b(?i:check|query|search|consult|poll)\s+([A-Z][a-z]*[A-Z][\w.-]*|[A-Z][a-z][\w.-]*[A-Za-z0-9])\s+(?i:for|to\s+see)\b",
)
# Capitalised words that are not systems: days, months, languages, time zones, pronouns.
_NOT_SYSTEMS = frozenset({
    "i", "we", "you", "it", "they", "the", "a", "an", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december", "english", "spanish", "french", "german",
    "italian", "portuguese", "dutch", "chinese", "japanese", "utc", "gmt", "pst", "pdt", "est", "edt",
    "cet", "cest", "et", "pt", "am", "pm", "us", "usd", "eur", "gbp", "eu", "uk", "ai", "llm", "gpt",
    "api", "json", "pdf", "csv", "sms", "only", "not", "never", "all", "any", "no", "must", "always", "none",
})  # fmt: skip


def systems_named(text: str) -> tuple[str, ...]:
    """The systems a clause names ('Guidewire', 'CrowdStrike'), in order, without duplicates."""
    found: list[str] = []
    for m in _SYSTEM.finditer(text):
        words = (m.group(1) or m.group(2) or m.group(3) or m.group(4)).split()
        # "My Music Staff", "The Edge": a product named with a leading word, named by its next one
        words = words[1:] if len(words) > 1 and words[0] in ("My", "The", "Our", "Your") else words
        name = words[0].strip(".-")
        if name.lower() not in _NOT_SYSTEMS and name not in found and not name.isdigit():
            found.append(name)
    return tuple(found)


# "Benign alerts get closed", "Leads scoring 75 or above get assigned", "1-3 star reviews get a
# private reply": a qualified subject limits the sentence's action to those events.
_QUALIFIED_SUBJECT = re.compile(
    r"^\W*(?:(?:any|all|only)\s+)?(?:[A-Za-z][\w-]*\s+){0,3}?[A-Za-z][\w-]*s\s+"
    r"(?:(?:scoring|rated|with|whose|that|which|where|from|over|under|above|below|marked|flagged|tagged|"
    r"labelled|labeled)\b[^,;]*?\s+)?(?:get|gets|are|is|(?:should|must|will|can)(?:\s+not|\s+never|n['’]t)?\s+be|go|goes)\s+\w+",
    re.I,
)
_NUMERIC_LIMIT = re.compile(
    r"\b\d+(?:\.\d+)?\s*%?\s*(?:or|and)\s+(?:above|over|higher|more|below|under|lower|less|up|down)\b|"
    r"\b\d+\s*[-\u2013]\s*\d+[- ]stars?\b|\b\d+\s*\+|\b(?:true|false)[- ]positives?\b|\b[\w-]+(?:\s+[\w-]+)?\s+ones\b|"
    r"\b(?:benign|malicious|harmless|low|medium|high|positive|negative|neutral|valid|invalid|spam|duplicate|"
    r"overdue|late|delayed|expired|new|returning|existing|unpaid|paid|controlled)\s+[a-z]+s\b|"
    # "Vehicles with a hazmat flag", "Orders without a tracking number": a qualifier, not every one
    r"\b[a-z]+s\s+(?:with|without|whose|that\s+have|that\s+has|flagged|marked|tagged)\s",
    re.I,
)


# "Anything mentioning immediate danger must be escalated", "Reports that describe a crash go to
# #bugs": a subject limited by what the event says
_TOPIC_SUBJECT = re.compile(
    r"^\W*(?:anything|everything|any\s+(?:[\w-]+\s+){0,2}?[\w-]+|(?:[\w-]+\s+){0,2}?[\w-]+s)\s+(?:that\s+|which\s+)?"
    r"(?:mention(?:s|ing)?|about|involv(?:es|ing)|contain(?:s|ing)|report(?:s|ing)|describ(?:es|ing)|referenc(?:es|ing)|"
    r"(?:look|sound|read)(?:s|ing)?\s+like|suggest(?:s|ing)|indicat(?:es|ing))\b[^;]*?\s+"
    r"(?:get|gets|are|is|(?:should|must|will|can)(?:\s+not|\s+never|n['’]t)?\s+(?:be|go)|go|goes)\s+\w+",
    re.I,
)


def qualified_subject(sentence: str) -> tuple[int, int] | None:
    """The span of a sentence's subject when it limits the sentence's action to some events
    ("Benign alerts", "Leads scoring 75 or above", "Anything mentioning a gas smell"): a
    condition written as a subject."""
    subject = _QUALIFIED_SUBJECT.match(sentence)
    if subject is None or _NUMERIC_LIMIT.search(subject.group(0)) is None:
        subject = _TOPIC_SUBJECT.match(sentence)
    if subject is None:
        return None
    verb = re.search(
        r"\s+(?:get|gets|are|is|(?:should|must|will|can)(?:\s+not|\s+never|n['’]t)?\s+be|go|goes)\s+\w+$",
        subject.group(0),
        re.I,
    )
    return subject.start(), subject.start() + (verb.start() if verb else len(subject.group(0)))


def label_subject(sentence: str, values: set[str]) -> re.Match[str] | None:
    """ "Absences should be recorded in SIMS", "Complaints go to the head's inbox": a subject that
    is one of the values the brief lists limits the sentence to the events with that value."""
    subject = re.match(
        r"\W*((?:[A-Za-z][\w'-]*\s+){0,2}?[A-Za-z][\w'-]*)\s+(?=(?:get|gets|are|is|go|goes|should|must|will|"
        r"can|need|needs)\b)",
        sentence,
    )
    if subject is None:
        return None
    words = subject.group(1).lower()
    if words in values or words.rstrip("s") in values:
        return re.match(re.escape(subject.group(1)), sentence[subject.start(1) :])
    return None


def subject_limiter(sentence: str, clause_start: int) -> re.Match[str] | None:
    """The limiting words of a sentence whose subject is a qualified set of events."""
    # the subject of the clause itself ("…; low and medium ones are added to the list")
    subject = _QUALIFIED_SUBJECT.match(sentence[max(clause_start, 0) :].lstrip(" ,;:-"))
    if subject is None:
        return None
    return _NUMERIC_LIMIT.search(subject.group(0))


def systems_said(text: str, known: tuple[str, ...]) -> tuple[str, ...]:
    """The systems of `known` (named capitalised somewhere in the brief) that `text` names in
    any case: "pull the unit rent from appfolio" in a brief that says "our AppFolio listing"."""
    found = [(m.start(), name) for name in known if (m := re.search(rf"\b{re.escape(name)}\b", text, re.I))]
    return tuple(name for _, name in sorted(found))
