"""Who an email or a text goes to, as the brief names them.

"Email the patient": the event's own address. "Text the route driver" after "look up the
machine's route driver in Route4Me": the number that lookup returns. "Send an SMS to the on-call
physio": one of the team's people, whose number is configuration (`${env:ON_CALL_PHYSIO_PHONE}`),
never the patient's `phone` that the event happens to carry.
"""

from __future__ import annotations

import dataclasses
import re

from copilot.draft.blocks import env_name
from copilot.draft.event import EventShape
from copilot.draft.reading import Task
from copilot.draft.recipient_phrase import recipient_phrases

__all__ = ["STAFF", "resolve_recipients"]

# People of the team that runs the flow: never the person the event is about
STAFF = frozenset({
    "physio", "physiotherapist", "tech", "techs", "technician", "driver", "manager", "director", "officer",
    "supervisor", "operator", "dispatcher", "coordinator", "lead", "team", "staff", "admin", "administrator",
    "engineer",
    "nurse", "doctor", "vet", "clinician", "on-call", "oncall", "foreman", "superintendent", "inspector",
    "planner", "dockmaster", "brewer", "steward", "ops", "operations", "desk", "office", "accountant",
    "counsellor", "counselor", "agent", "rep", "specialist", "chef", "bookkeeper", "principal", "head",
    "executive", "ae", "salesperson", "csm", "recruiter", "attorney", "lawyer", "paralegal", "pharmacist",
    "therapist", "metallurgist", "analyst", "adjuster", "underwriter", "auditor", "scheduler", "instructor",
    "mechanic", "electrician", "editor", "producer", "reviewer", "approver", "controller", "clerk", "broker",
    "ranger", "warden", "caseworker", "advisor", "adviser", "consultant", "concierge", "receptionist",
    "physician", "surgeon", "paramedic", "medic", "librarian", "curator", "custodian",
    "marshal", "handler", "groomer", "veterinarian", "pilot", "captain",
})  # fmt: skip


def _staff(who: str) -> bool:
    words = re.split(r"[\s_]+", who.lower())
    if words[0] in ("me", "us"):
        return True  # "email me": whoever wrote the brief, one of the team
    if words[-1] in ("lead", "leads") and len(words) == 1:
        return False  # "text the lead": the prospect the event is about (a "team lead" is staff)
    return bool(re.search(r"\bon[- ](?:call|duty|shift)\b", who, re.I)) or any(w in STAFF for w in words)


def _lookup_of(
    who: str, channel: str, tasks: list[Task], task: Task, sentences: list[str]
) -> tuple[Task, str] | None:
    """(the lookup that returns the recipient's address, the field it returns it as)."""
    kind = "email" if channel == "email" else "phone"
    head = who.split()[-1]
    # the message's own clause, an aside included: "text our on call tech (the number is in jobber)"
    sentence = sentences[task.sentence] if 0 <= task.sentence < len(sentences) else ""
    if task.start >= 0 and sentence:
        from copilot.draft.tasks import clause_span

        sentence = sentence[task.start : clause_span(sentence, task.start)[1]]
    reads = [
        t
        for t in tasks
        if t.kind == "enrich"
        and not t.docs
        and t.start >= 0
        # before the message, or in its own sentence ("email the artist (… look it up by artist_id)")
        and ((t.sentence, t.start) < (task.sentence, task.start) or t.sentence == task.sentence)
    ]
    for read in reads:
        # the lookup's whole sentence: "to get their plan (standard or scholarship), parent_email …"
        said = sentences[read.sentence] if 0 <= read.sentence < len(sentences) else (read.quote or read.text)
        system = read.target or next(
            iter(
                re.findall(r"\b(?:in|from|on|via)\s+(?:our\s+|the\s+)?([A-Za-z][\w-]{2,})", read.quote or "")
            ),
            None,
        )
        named = re.search(rf"\b({re.escape(head)}_(?:e-?mail|phone|mobile|number)\w*)\b", said, re.I)
        if named is not None and (kind == "email") == ("mail" in named.group(1).lower()):
            return read, named.group(1)  # "to get their plan, parent_email and …"
        if (
            re.search(rf"\b{re.escape(who)}\b", said, re.I)
            # "email the guardians" after "look up the player's guardian contacts"
            or (len(head) >= 5 and re.search(rf"\b{re.escape(re.sub(r'(?<!s)s$', '', head))}", said, re.I))
            or (
                system
                and re.search(
                    rf"\b(?:in|from|under|on)\s+(?:our\s+|the\s+)?{re.escape(system)}\b", sentence, re.I
                )
            )
        ):
            # "Look up the machine's route driver in Route4Me"; "(the number is in jobber under on-call)"
            return read, f"{re.sub(r'[^a-z0-9]+', '_', who.lower()).strip('_')}_{kind}"
    said_kind = r"\b(?:e-?mail(?:\s+address)?)\b" if kind == "email" else r"\b(?:phone|mobile|cell)\b"
    fetching = [
        r
        for r in reads
        if not _staff(who)
        and re.search(
            said_kind, sentences[r.sentence] if 0 <= r.sentence < len(sentences) else r.quote or "", re.I
        )
    ]
    if len(fetching) == 1:
        # "look up the account … to get their billing type and phone number … customers get an
        # SMS": the one lookup that fetches a number is where the person's number comes from
        return fetching[0], f"{re.sub(r'[^a-z0-9]+', '_', who.lower()).strip('_')}_{kind}"
    return None


def resolve_recipients(
    tasks: list[Task], event: EventShape, sentences: list[str], assumptions: list[str]
) -> None:
    """Set `Task.recipient` of each email and text: ("event", field), ("lookup", field) or
    ("env", NAME); said in `assumptions` when it is not the event's own field."""
    for task in list(tasks):
        if task.kind != "notify" or task.channel not in ("email", "sms"):
            continue
        people = recipient_phrases(task.quote or task.text)
        said = sentences[task.sentence] if 0 <= task.sentence < len(sentences) and task.start >= 0 else ""
        if not people and re.search(r"\b(?:to\s+)?(?:them|him|her)\b", task.quote or task.text, re.I):
            # "write a note … for the neighbour and email it to them": whom the note is for
            meant = re.findall(
                r"\bfor\s+(?:the|our|each|every|that)\s+([a-z][\w-]*)\b", said[: max(task.start, 0)], re.I
            )
            people = [meant[-1].lower()] if meant else []
        for at, other in enumerate(people[1:], start=1):
            # "send an SMS to the crane operator and the site supervisor": one message each
            twin = dataclasses.replace(task, also=[], quotes=list(task.quotes), recipient=None)
            tasks.insert(tasks.index(task) + at, twin)
            _resolve(twin, other, tasks, event, sentences, assumptions, only=False)
        _resolve(task, people[0] if people else None, tasks, event, sentences, assumptions, len(people) < 2)


# "… from studyrooms@uni.edu", "sent as care@…", "reply-to: …": an address the message comes from
_FROM_ADDRESS = re.compile(
    r"\b(?:from|as|sender|sent\s+from|reply-?to)\s*:?\s*(?:the\s+)?(?:address\s+)?$", re.I
)


def _resolve(
    task: Task,
    who: str | None,
    tasks: list[Task],
    event: EventShape,
    sentences: list[str],
    assumptions: list[str],
    only: bool = True,
) -> None:
    """`task.recipient` for the person `who` the clause names (None: it names no one; `only`:
    no other person is named beside them)."""
    clause = task.quote or task.text
    said = sentences[task.sentence] if 0 <= task.sentence < len(sentences) else clause
    if task.channel == "email" and task.start >= 0:
        from copilot.draft.tasks import clause_span

        own = said[task.start : clause_span(said, task.start)[1]]
        addresses = list(re.finditer(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", own))
        sent_from = [a for a in addresses if _FROM_ADDRESS.search(own[: a.start()])]
        if sent_from:
            task.sender = sent_from[0].group(0)  # "email the student from studyrooms@uni.edu"
        address = next((a for a in addresses if a not in sent_from), None)
        if address is not None and (only or who is None or address.group(0) in own[own.lower().find(who) :]):
            task.recipient = ("literal", address.group(0))  # "email me (director@…)": as written
            return
    field = event.recipient(task.channel, who or clause)
    owned = (
        field is not None
        and who is not None
        and any(re.search(rf"\b{re.escape(w)}", field, re.I) for w in who.split() if len(w) >= 3)
    )
    # "each affected client's family contact": someone else's person, never the sender's own number
    someone_elses = who is not None and bool(
        re.search(r"['’]s\b|\b(?:family|guardians?|parents?|contacts?|kin|spouse|relatives?)\b", who, re.I)
    )
    # "email the artist" beside `client_email`: that address is the client's, someone else
    owner = re.match(r"([a-z]+)_(?:e_?mail|phone|mobile|cell|number)", (field or "").split(".")[-1].lower())
    other_owner = (
        who is not None
        and owner is not None
        and not owned
        and owner.group(1)
        not in ("contact", "reply", "from", "primary", "main", "customer", "user", "sender")
        and not re.search(r"(?:customer|client|user|sender|them|they|him|her|caller|guest|member)", who, re.I)
    )
    # "text Ellie (she does the house calls)": a person the brief names, one of the team
    named = (
        who is not None
        and " " not in who
        and re.search(rf"\b{re.escape(who.capitalize())}\b", clause) is not None
    )
    if (
        field is not None
        and not other_owner
        and not named
        and (owned or who is None or not (_staff(who) or someone_elses))
    ):
        task.recipient = ("event", field)
        return
    if who is None:
        return
    found = _lookup_of(who, task.channel, tasks, task, sentences)
    if found is not None:
        read, name = found
        read.returns.setdefault(name, "string")
        task.recipient = ("lookup", name)
        assumptions.append(
            f"the {who} gets the {'email' if task.channel == 'email' else 'text'} at `{name}`, which the "
            "lookup returns (it declares the field: an answer without it fails loudly)"
        )
        return
    if _staff(who) or named:
        name = env_name(
            "team" if who in ("me", "us") else who, "email" if task.channel == "email" else "phone"
        )
        task.recipient = ("env", name)
        assumptions.append(
            f"{'you are' if who in ('me', 'us') else f'{who.capitalize()} is' if named else f'the {who} is'} "
            "one of your team, not in the event: "
            "the "
            f"{'email' if task.channel == 'email' else 'text'} goes to `${{env:{name}}}`; set it"
        )
