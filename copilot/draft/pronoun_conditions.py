"""Conditions that name their subject by a pronoun: "if its cancel, send it to retention" (a
label), "if it's a glitch, open a ticket" (a decision's option), "Check whether X. If it is, text
the driver" (the earlier question)."""

from __future__ import annotations

import re

from copilot.draft.conditions import ACTING, read_conditions
from copilot.draft.decisions import decision_options
from copilot.draft.labels import snake
from copilot.draft.none_label import absence_labels
from copilot.draft.phrases import Match
from copilot.draft.reading import Condition, Task
from copilot.draft.score_atoms import as_share
from copilot.draft.tasks import clause_span

__all__ = ["pronoun_conditions"]

_PRONOUN_IF = re.compile(
    # the closing \b: "If someone matches" is no "if so"
    # "if the reason is not dissatisfied": the thing a classifier labels, named by its noun
    r"\b(?:if|when)\s+(?:it'?s|its|it is|they are|they're|"
    r"the (?:label|intent|category|type|reason|kind|class|classification|topic|tag|cause) is|so|yes|"
    r"it does|that'?s the case)\b"
    r"(?:\s+(?:an?\s+)?((?:not\s+(?:an?\s+)?)?[\w-]+))?",
    re.I,
)
_WHETHER = re.compile(r"\b(?:whether|if)\s+(.+?)(?=[,.;]|$)", re.I)


# a word and its opposite: "inside" said after "if its outside the zone" is that test negated
_OPPOSITES = {
    a: b
    for x, y in (
        ("inside", "outside"),
        ("in", "out"),
        ("open", "closed"),
        ("on", "off"),
        ("present", "absent"),
    )
    for a, b in ((x, y), (y, x))
}


def _option_named(word: str, said: str, options: list[str]) -> str | None:
    """The one option a word names: itself, all its words said (`said` is what follows the
    pronoun, lower case), or the last word of one option alone ("glitch" for sensor_glitch)."""
    if not word or word in ("so", "yes", "not"):
        return None
    if word in options:
        return word
    whole = [o for o in options if f"{said} ".startswith(o.replace("_", " ") + " ")]
    if len(whole) == 1:
        return whole[0]
    tails = [o for o in options if o.endswith(f"_{word}")]
    return tails[0] if len(tails) == 1 else None


def pronoun_conditions(
    sentences: list[str], tasks: list[Task], labels: list[str], matches: list[Match] | None = None
) -> None:
    """'if its cancel, send it to retention' (a label); 'Check whether X. If it is, text the
    driver' (the earlier question): conditions that name their subject by a pronoun; "if there is
    no damage" (the classifier's label for nothing)."""
    absence_labels(tasks, labels, matches)
    for task in tasks:
        # "…, otherwise if its an unplowed street put it in the queue": its own test, besides
        otherwise = (
            task.condition
            if task.condition is not None
            and task.condition.negated
            and task.condition.text.startswith("otherwise")
            else None
        )
        if (task.condition is not None and otherwise is None) or task.kind not in ACTING or task.start < 0:
            continue
        sentence = sentences[task.sentence]
        # the nearest one before it: "if its maintenance open a task …, if its a complaint ping …"
        _, clause_end = clause_span(sentence, task.start)
        bound = min(task.start + len(task.text), clause_end)
        m = next(reversed(list(_PRONOUN_IF.finditer(sentence[:bound]))), None)
        if m is None or (
            otherwise is not None and not re.search(r"\botherwise\s*,?\s*$", sentence[: m.start()], re.I)
        ):
            continue
        task.condition = None
        word = snake(re.sub(r"\b(?:an?)\s+", "", m.group(1) or ""))
        if word and word not in labels and m.group(1):
            # "if its an unplowed street": a label of several words
            after = " ".join(re.findall(r"[a-z0-9]+", sentence[m.start(1) :].lower()))
            word = next((lb for lb in labels if f"{after} ".startswith(lb.replace("_", " ") + " ")), word)
        if word not in labels and word.startswith("not_") and word[4:] in labels:
            task.condition = Condition(
                "label", m.group(0), "!=", word[4:], scope=otherwise
            )  # "if it is not a refund"
            task.unmapped_condition = None
            continue
        if word in labels:  # "if it is not a leak", the label `not_leak`
            task.condition = Condition("label", m.group(0), "==", word, scope=otherwise)
            # "If it is lameness or abscess": every label the clause names, any of them
            listed = re.match(
                r"[\w -]+?(?=\s*,|\s+(?:that|which|then|just|we|you|it|they|has|have|must|should)\b|$)",
                sentence[m.start(1) :],
            )
            more = [
                snake(re.sub(r"^(?:an?|the)\s+", "", part.strip()))
                for part in re.split(r"\s*,\s*(?:or\s+)?|\s+or\s+", listed.group(0) if listed else "")[1:]
            ]
            if more and all(lb in labels for lb in more):
                task.condition.alternatives = [Condition("label", m.group(0), "==", lb) for lb in more]
                task.condition.text = f"{m.group(0)} or {' or '.join(more)}".replace("_", " ")
            task.unmapped_condition = None
            continue
        said = " ".join(re.findall(r"[a-z0-9]+", sentence[m.start(1) :].lower())) if m.group(1) else ""
        decided = [o for t in tasks if t.kind == "decide" and t.start >= 0 for o in t.labels]
        option = _option_named(word, said, decided)
        if option is not None:
            # "decide whether the reading is plausible or a sensor glitch, and if it's a glitch …":
            # the decision's option, named by its last word
            task.condition = Condition(
                "decision", m.group(0), "==", option, output_field="decision", scope=otherwise
            )
            # "if its wrong_zone or app_glitch": each option "or" adds
            listed = re.match(r"[\w -]+?(?=\s*,|\s+(?:just|then)\b|$)", sentence[m.start(1) :])
            parts = re.split(r"\s*,\s*(?:or\s+)?|\s+or\s+", listed.group(0) if listed else "")[1:]
            more = [snake(re.sub(r"^(?:an?|the)\s+", "", p.strip())) for p in parts]
            if more and all(o in decided and o != option for o in more):
                task.condition.op, task.condition.value = "in", [option, *more]
            task.unmapped_condition = None
            continue
        if otherwise is not None:
            task.condition = otherwise  # no label named after all: the otherwise alone, as read
            continue
        word = "not" if word.startswith("not_") else word  # the negation, read as before
        if word and re.search(r"\bthe\s+(?:label|category|type)\s+is\b", m.group(0), re.I):
            options = [o for earlier in sentences[: task.sentence + 1] for o in decision_options(earlier)]
            if word in options:
                # "decide one of three labels: ok, needs_inspection, or quarantine … Only if the
                # label is ok, send …": the decision's option
                task.condition = Condition("decision", m.group(0), "==", word, output_field="decision")
                task.unmapped_condition = None
            continue  # a named value, never the question a sentence before asked
        bound = re.match(
            # "if it's 200 g or more": a unit may follow the number
            r"\s*(\d+(?:\.\d+)?)\s*(?:[a-z%°]{1,7}\s+)?or\s+(less|fewer|lower|below|under|more|higher|above|over)\b",
            sentence[m.start(1) :] if m.group(1) else "",
            re.I,
        )
        measured = next(
            (
                t.condition
                for t in sorted(tasks, key=lambda t: (t.sentence, t.start), reverse=True)
                if t.condition is not None
                and t.condition.kind == "event"
                and isinstance(t.condition.value, float)
                and task.sentence - 1 <= t.sentence <= task.sentence
                and (t.sentence, t.start) < (task.sentence, task.start)
            ),
            None,
        )
        if bound is not None and measured is not None and not any(t.kind == "score" for t in tasks):
            # "requeue only if filament_used_g is under 200; if it's 200 g or more, email …": the
            # field the threshold before it reads, on its other side
            below = bound.group(2).lower() in ("less", "fewer", "lower", "below", "under")
            task.condition = Condition(
                "event",
                sentence[m.start() : m.start(1) + bound.end()],
                "<=" if below else ">=",
                float(bound.group(1)),
                output_field=measured.output_field,
            )
            task.unmapped_condition = None
            continue
        past = re.match(
            r"\s*(over|above|more\s+than|under|below|less\s+than)\s+(\d+(?:\.\d+)?)",
            sentence[m.start(1) :] if m.group(1) else "",
            re.I,
        )
        if past is not None and any(t.kind == "score" for t in tasks):
            # "estimate the hours (0.5 to 6). if its over 4 hrs, flag it": the number estimated
            task.condition = Condition(
                "score",
                sentence[m.start() : m.start(1) + past.end()],
                ">" if past.group(1).lower() in ("over", "above", "more than") else "<",
                as_share(float(past.group(2))),
                # "if its over 4 hrs, flag it …, otherwise just text the customer": the other side
                negated=bool(
                    re.search(r"\b(?:otherwise|else)\b", sentence[m.end() : max(task.start, m.end())], re.I)
                ),
            )
            task.unmapped_condition = None
            continue
        if bound is not None and any(t.kind == "score" for t in tasks):
            # "if it is 3 or less" after a score the flow computes: that score, read like any other
            # (a number over 1 as a share; the brief's own scale restores it)
            below = bound.group(2).lower() in ("less", "fewer", "lower", "below", "under")
            task.condition = Condition(
                "score",
                sentence[m.start() : m.start(1) + bound.end()],
                "<=" if below else ">=",
                as_share(float(bound.group(1))),
            )
            task.unmapped_condition = None
            continue
        # "Classify whether the description suggests a possible concussion … If it is a possible
        # concussion": the question asked sentences before, when it holds every word said
        head = sentence[m.start(1) :].split(",")[0] if m.group(1) else ""
        opposite = _OPPOSITES.get(word)
        said_before = next(
            (
                t.unmapped_condition
                for t in tasks
                if opposite
                and t is not task
                and t.unmapped_condition
                and task.sentence - 1 <= t.sentence <= task.sentence
                and re.search(rf"\b{opposite}\b", t.unmapped_condition, re.I)
            ),
            None,
        )
        if said_before is not None:
            # "if its outside the zone …; if its inside, hold the date": the same test, said the other way
            task.unmapped_condition = re.sub(
                rf"\b{opposite}\b", f"not {opposite}", said_before, count=1, flags=re.I
            )

            for match in matches or []:
                if (
                    match.kind == "unread_condition"
                    and match.sentence == task.sentence
                    and m.group(0).lower() in match.text.lower()
                ):
                    match.kind = "condition"  # "if its inside": read, as the opposite test
            continue
        if word and any(
            re.search(rf"(?:\(|:)[^()]*?\b{re.escape(word.replace('_', ' '))}\b[^()]*\)", other, re.I)
            for other in sentences
        ):
            # "if its a grand" after "(piano type: upright or grand, …)": a value the event lists,
            # read with the event's fields, never the question a sentence before asked
            task.unmapped_condition = m.group(0)
            continue
        said = set(re.findall(r"[a-z]{5,}", head.lower()))
        asked = [
            e
            for e in sentences[: max(0, task.sentence - 1)]
            if said
            and (q := _WHETHER.search(e))
            and said <= set(re.findall(r"[a-z]{5,}", q.group(1).lower()))
        ]
        for earlier in reversed([*asked[-1:], *sentences[max(0, task.sentence - 1) : task.sentence + 1]]):
            question = _WHETHER.search(earlier[: m.start()] if earlier is sentence else earlier)
            if question and len(decision_options(earlier[: question.end()])) >= 2:
                # "whether it is plausible or a glitch": a choice, whose "yes" holds on every event
                break
            valued = (
                re.match(
                    r"(?P<subject>.+?\b(?:is|are|was|were))\s+(?P<value>[\w-]+)$", question.group(1).strip()
                )
                if question and question.group(0).lower().startswith("if") and m.group(1)
                else None
            )
            if valued is not None and m.group(1).lower() != valued.group("value").lower():
                # "If the tag colour is red, … If it is yellow, email …": the same test, its other value
                mapped, _, _ = read_conditions(f"If {valued.group('subject')} {m.group(1)}, do it.")
                if mapped:
                    task.condition, task.unmapped_condition = mapped[0][2], None
                    task.condition.text = m.group(0)
                break
            # "if its a diver watch" names its own thing: never the question asked before it
            if (
                question
                and len(question.group(1).split()) >= 2
                and (not said or said <= set(re.findall(r"[a-z]{5,}", question.group(1).lower())))
            ):
                text = question.group(1).strip()
                # "if its not on-profile" after "says if its on-profile, …": that question's opposite
                said_not = (m.group(1) or "").lower().split()[:1] == ["not"]
                opposite = said_not and " not " not in f" {text.lower()} "
                task.condition = Condition("field", text, "==", True, output_field=None, negated=opposite)
                task.unmapped_condition = None
                for match in matches or []:
                    # "If it is a possible concussion": read, as that question
                    if (
                        match.kind == "unread_condition"
                        and match.sentence == task.sentence
                        and m.group(0).lower() in match.text.lower()
                    ):
                        match.kind = "condition"
                # named by what the if-clause says of it ("a possible spinal injury"), else the
                # question; whole words, never cut inside one
                named = [
                    w
                    for w in re.findall(r"[a-z0-9]+", (head if said and earlier in asked else text).lower())
                    if w not in ("the", "a", "an", "is", "are", "it", "its", "not")
                ]
                kept = [w for i, w in enumerate(named) if len("_".join(named[: i + 1])) <= 40]
                task.condition.output_field = "_".join(kept) or "condition_met"
                break
