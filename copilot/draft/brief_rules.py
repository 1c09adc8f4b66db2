"""The brief's rules that no step carries out, handed to the model that answers or decides.

"Refunds are only allowed if the visit date is more than 48 hours away", "Never refund a
group booking automatically": the offline drafter has no step for a policy like these and no
condition to test them on, but the model that writes the answer (or makes the decision) can
apply them. So each goes into that step's instructions, word for word, and into its
`why.brief`; the summary says a model applies it and nothing checks it.

What stays a gap: a rule that names a system (a call the draft does not make), a filter
("Ignore …"), and a prohibition of something a step of the flow does ("never email them"
with an email step): those need a step or an `if:`, not a sentence in a prompt.
"""

from __future__ import annotations

import re
from typing import Any

from copilot.draft.prohibitions import NOT_THE_MODELS
from copilot.draft.reading import UNMAPPED_CONDITION

# The words that make a clause a rule rather than a description
_RULE = re.compile(
    r"\b(?:only|never|always|must|mustn'?t|should|shouldn'?t|shall|don'?t|do not|cannot|can'?t|"
    r"no (?:more|later|earlier|less) than|allowed|permitted|eligible|up to|at most|at least|unless|except|"
    r"automatic(?:ally)?|requires?|required)\b",
    re.I,
)
# "Up to 40 posts a second": traffic, which the rate limit carries
_VOLUME = re.compile(
    r"\b\d[\d,.]*\s*k?\s+(?:[\w-]+\s+){0,2}?(?:a|an|per|each|every)\s+(?:second|sec|minute|min|hour|day|night|week)\b",
    re.I,
)
# "whatever the model says", "no model decides those": the brief keeps it from the model
# What a prompt can forbid: what the text says, not what the flow does
_CONTENT_VERBS = frozenset({
    "mention", "promise", "give", "suggest", "include", "quote", "offer", "reveal", "disclose", "share",
    "guess", "speculate", "recommend", "diagnose", "say", "tell", "state", "invent", "make", "use", "cite",
    "discuss", "admit", "blame", "name", "expose", "ask", "answer", "reply", "provide", "list",
})  # fmt: skip
# Verbs of knowing and having: "we never see …", "they don't get …" describe, they don't rule
_FACTS = frozenset({"see", "get", "have", "know", "receive", "hold", "keep", "touch", "handle", "use"})
# Who applies a rule, most telling first: the step that decides, else the one that answers
_APPLIERS = (
    "decide",
    "answer",
    "reply",
    "classify",
    "score",
    "moderate",
    "summarise",
    "extract",
    "translate",
)
_LAST_SENTENCE = "Answer only with the JSON object."
_DEFINES = re.compile(
    r"\b(?:is|are|counts?\s+as|means?)\s+(?:an?\s+|the\s+)?((?:[\w-]+\s+){0,2}[\w-]+)\W*$", re.I
)
_OUTPUT_WORDS = {"summarise": r"\bsummar", "translate": r"\btranslat", "reply": r"\breply\b"}


def is_rule(text: str, side_effect_words: set[str]) -> bool:
    """Whether an unread clause is a rule a model can apply: rule-like words, four or more
    words, no system named, not a filter, and no prohibition of a step the flow has."""
    from copilot.draft.coverage import is_filter, prohibited_verb
    from copilot.draft.subjects import systems_named

    if text.endswith(")") or len(re.findall(r"[A-Za-z']+", text)) < 4 or not _RULE.search(text):
        return False
    if text.count("(") != text.count(")"):
        return False  # a fragment cut inside a parenthesis is no rule a model could follow
    if systems_named(text) or is_filter(text) or _VOLUME.search(text) or NOT_THE_MODELS.search(text):
        return False
    verb = prohibited_verb(text)
    if verb is not None and verb not in _CONTENT_VERBS:
        return False  # "Don't contact carriers for rejected loads": an action to keep from happening
    said = re.match(r"\W*(?:we|i|they)\s+(?:never|don'?t|do not|can'?t|cannot)\s+([a-z]+)", text, re.I)
    if said and said.group(1).lower() in _FACTS:
        return False  # "We never see the card number": what the team knows, not a rule to apply
    return prohibited_verb(text) not in side_effect_words


def _decides_option(text: str, options: list[str]) -> bool:
    """ "Approve when every line matches within 2%; hold when there's no goods receipt": when
    the step's own options are chosen, a rule for the model that chooses them."""
    from copilot.draft.decisions import option_of

    return (
        bool(options)
        and bool(re.search(r"\b(?:when|if|unless)\b", text, re.I) or _IS_OPTION.search(text))
        and (option_of(text, options) is not None)
    )


# "… over 20 knots its cancel", "under 1 ft it's a reschedule": the option a case comes to
_IS_OPTION = re.compile(
    r"\b(?:it['’]?s|it\s+is|that['’]?s|thats|means|=|->|→)\s+(?:an?\s+)?[a-z][\w-]*\W*$"
    # "income has to be at least 3x the rent for approve": what an option requires
    r"|\b(?:has|have|needs?)\s+to\s+be\b.*\b(?:for|to\s+get)\s+(?:an?\s+)?[a-z][\w-]*\W*$",
    re.I,
)


def option_cases(sentence: str, options: list[str]) -> list[str]:
    """ "if swell is over 6 ft or wind over 20 knots its cancel, under 1 ft its reschedule": each
    case the sentence maps to one of the options, as written."""
    if not options:
        return []
    one = "|".join(re.escape(o.replace("_", " ")) for o in options)
    return [
        re.sub(
            r"^(?:(?:basically|so|like|and|but|then|also|ok|okay)\b\W*)+",
            "",
            m.group(0).strip(" ,;"),
            flags=re.I,
        )
        for m in re.finditer(
            rf"(?:\b(?:if|when)\s+)?[^,;.—–]*?\b(?:it['’]?s|it\s+is|that['’]?s|thats|means|=|->|→)\s+(?:an?\s+)?(?:{one})\b",
            sentence,
            re.I,
        )
    ]


_STATES_RULES = re.compile(
    r"^\W*(?:the\s+|our\s+|house\s+)?(?:rules?|criteria|requirements?|limits?|policy)\s*(?:are|is|:)\s*\S",
    re.I,
)


def _listed_tail(rule: str, sentences: list[str]) -> str:
    """`rule` and the items of a comma list it opens ("… about age, race, religion, familial
    status in the decision"), as written; `rule` itself when no list follows it."""
    sentence = next((s for s in sentences if rule in s), "")
    end = sentence.find(rule) + len(rule) if sentence else -1
    if end < 0 or not re.search(r"\b(?:about|like|such as|including|on|of|or|and)\s+\w+$", rule, re.I):
        return rule
    while True:
        item = re.match(r"\s*,\s*(?:and\s+|or\s+)?([A-Za-z][\w' -]{0,60}?)(?=\s*[,;.]|$)", sentence[end:])
        words = item.group(1).split() if item else []
        if item is None or not words or re.match(_VERB_START, words[0], re.I):
            break
        end += item.end()
    return sentence[sentence.find(rule) : end].strip()


# "…, then email them": a clause that starts with a verb is the next instruction, not a list item
_VERB_START = r"(?:then|so|but|if|when|send|email|post|page|text|call|create|update|notify|tell|reply)\b"


def _quotes_part(sentence: str, steps: list[dict[str, Any]], whole: bool = False) -> bool:
    """Whether a step quotes some of `sentence` (then the sentence is that step's, not a rule);
    with `whole`, only a quote of exactly it counts."""
    for step in steps:
        quote = (step.get("why") or {}).get("brief") or []
        for q in [quote] if isinstance(quote, str) else quote:
            if (
                (sentence.strip(" .").lower() == str(q).strip(" .").lower())
                if whole
                else (str(q) in sentence)
            ):
                return True
    return False


def hand_rules_to_model(
    data: dict[str, Any], roles: dict[str, tuple[str, bool]], unmapped: list[str], sentences: list[str]
) -> tuple[str | None, list[str], list[str]]:
    """Put the rules among `unmapped` into the prompt of the step that applies them:
    (that step's id, the rules handed over, what stays unmapped). `roles` is step id ->
    (kind, hot)."""
    steps = data.get("steps", [])
    # the step whose output the response carries: an async note never sees the decision made
    by_kind = {kind: sid for sid, (kind, hot) in roles.items() if kind in _APPLIERS and hot}
    target_id = next((by_kind[k] for k in _APPLIERS if k in by_kind), None)
    # a rule about one output ("… in the summary") goes to the step that writes it
    for kind, words in _OUTPUT_WORDS.items():
        if kind in by_kind and any(re.search(words, u, re.I) for u in unmapped if is_rule(u, set())):
            target_id = by_kind[kind]
            break
    target = next((s for s in steps if s.get("id") == target_id), None)
    # a sentence a step quotes as its own reason was read after all ("A model … picks accept or
    # reject" is the decide step's): not "not understood"
    unmapped = [u for u in unmapped if not _quotes_part(u, steps, whole=True)]
    if target is None:
        return None, [], unmapped
    words: set[str] = set()
    for step in steps:
        if step.get("type") == "http":
            words |= set(re.split(r"[^a-z]+", str(step.get("id")).lower()))
    schema = target.get("output_schema", {}).get("properties", {})
    options = list((schema.get("decision") or schema.get("label") or {}).get("enum") or [])
    # a rule, or when the step's own options are chosen ("refer when loan_amount is over 766550")
    rules = [
        u
        for u in unmapped
        if (
            is_rule(u, words)
            or (not u.endswith(")") and _decides_option(u, options) and not NOT_THE_MODELS.search(u))
        )
        # "Gas smell: the reply must be the fixed safety text …, not model-written": the sentence
        # keeps it from models even where the clause alone does not say so
        and not any(NOT_THE_MODELS.search(s) for s in sentences if u in s)
    ]
    # "rules are rooftop max 20 guests, party room max 40, nothing past 11pm": a sentence that
    # says it states the rules is one rule, whole, however the clauses were cut
    for sentence in sentences:
        if not _STATES_RULES.match(sentence):
            continue
        pieces = [u for u in unmapped if u in sentence]
        if pieces:
            whole = sentence.strip().rstrip(".")
            rules = [r for r in rules if r not in pieces]
            if whole not in rules:
                rules.append(whole)
            unmapped = [u for u in unmapped if u not in pieces]
    # "never use anything about age, race, religion, familial status in the decision": a rule
    # whose list the clause cut runs on to its last item
    for index, rule in enumerate(rules):
        whole = _listed_tail(rule, sentences)
        if whole != rule:
            rules[index] = whole
            unmapped = [u for u in unmapped if u == rule or u not in whole]
    rules = list(dict.fromkeys(rules))
    # "Deposits are only refunded if the van is returned before 6pm": a condition read in a
    # sentence no step quotes conditions nothing; the whole sentence is the rule
    from copilot.draft.conditions import condition_field
    from copilot.draft.response_options import quoted_reply

    conditions = " ".join(str(s.get("if", "")) for s in steps)
    # "Anything under 10% or over 90% full is a problem station": the definition of a condition
    # the model decides (`problem_station`) is how it decides it
    for note in unmapped:
        term = _DEFINES.search(note)
        if (
            term is not None
            and not note.endswith(")")
            and f"output.{condition_field(term.group(1))}" in conditions
            and note not in rules
        ):
            rules.append(note)
    # "… if wind is over 40 mph its close, under 10 cm its delay": every case the brief maps to
    # one of the step's options is how it chooses, read or not
    for sentence in sentences:
        rules += [
            c for c in option_cases(sentence, options) if c not in rules and not any(c in r for r in rules)
        ]
    settled: list[str] = [u for u in unmapped if any(u.removesuffix(UNMAPPED_CONDITION) in r for r in rules)]
    for index, rule in enumerate(rules):
        # "If the budget_usd is below 500, the reply should politely decline instead of quoting":
        # the rule keeps its condition (the model sees the event), never applies to every event
        sentence = next((s for s in sentences if rule in s), "")
        lead = next(
            (
                u
                for u in unmapped
                if re.match(r"\W*(?:if|when|whenever|unless|for)\b", u, re.I)
                and re.search(
                    re.escape(u.removesuffix(UNMAPPED_CONDITION)) + r"\s*,\s*" + re.escape(rule), sentence
                )
            ),
            None,
        )
        if lead is not None:
            rules[index] = f"{lead.removesuffix(UNMAPPED_CONDITION)}, {rule}"
            settled += [lead, rule]
    for note in unmapped:
        if not note.endswith(UNMAPPED_CONDITION):
            continue
        condition = note.removesuffix(UNMAPPED_CONDITION)
        sentence = next((s for s in sentences if condition in s), None)
        if sentence is None:
            continue
        if any(r in sentence for r in rules):
            continue
        if _quotes_part(sentence, steps) and quoted_reply(sentence) not in options:
            continue  # a step's own sentence, unless it says which answer to give ('reply "ready"')
        if f"output.{condition_field(condition)}" in conditions:
            continue  # a step's `if:` decides it (by the classifier's guess, which DR010 says)
        rule = sentence.strip().rstrip(".")
        if (is_rule(rule, words) or _decides_option(rule, options)) and rule not in rules:
            rules.append(rule)
            settled.append(note)
    # the option clauses the step already quotes ("Approve when every line matches within 2%")
    # are its criteria: the model must see them, not only the reader of why.brief
    own = (target.get("why") or {}).get("brief") or []
    criteria = [
        str(q).rstrip(".")
        for q in ([own] if isinstance(own, str) else own)
        if _decides_option(str(q), options) and str(q).rstrip(".") not in rules
    ]
    for q in [own] if isinstance(own, str) else own:
        # "give a recommendation approve / conditional / decline - income has to be at least 3x
        # the rent for approve": what the rest of the step's own sentence says about its options
        sentence = next((x for x in sentences if str(q) in x), "")
        tail = sentence[sentence.find(str(q)) + len(str(q)) :] if sentence else ""
        aside = re.match(r"\s+[-–—]+\s+([^;]+)", tail)  # the options, a dash, what one requires
        for piece in re.split(r"\s*[;.]\s+", aside.group(1)) if aside else []:
            piece = piece.strip(" ,.;:-–—")
            if piece and _decides_option(piece, options) and piece not in criteria and piece not in rules:
                criteria.append(piece)
    if not rules and not criteria:
        return None, [], unmapped
    settled += [
        n
        for n in unmapped
        if n.endswith(UNMAPPED_CONDITION) and any(n.removesuffix(UNMAPPED_CONDITION) in c for c in criteria)
    ]
    instruct(target, "Apply these rules from the brief:", [*criteria, *rules], quoted=rules)
    return target_id, rules, [u for u in unmapped if u not in rules and u not in settled]


def instruct(step: dict[str, Any], lead: str, rules: list[str], quoted: list[str]) -> None:
    """Put `rules` into a model step's instructions (before its last sentence, which says how to
    answer) after `lead`, and `quoted` into its why.brief: the model sees them, a reader too."""
    listed = " ".join(f'"{r.strip().rstrip(".")}."' for r in rules)
    system = str(step["prompt"]["system"])
    instruction = f"{lead} {listed} "
    if system.endswith(_LAST_SENTENCE):
        system = system[: -len(_LAST_SENTENCE)] + instruction + _LAST_SENTENCE
    else:
        system = f"{system} {instruction.strip()}"
    step["prompt"]["system"] = system
    why = step.setdefault("why", {})
    before = why.get("brief") or []
    why["brief"] = [*([before] if isinstance(before, str) else before), *quoted]


# "The AI must never give dosing advice", "the bot should not promise a refund": what a model
# must not say, for the steps that write text people read
_MODEL_MUST_NOT = re.compile(
    r"\b(?:the\s+|our\s+|an?\s+)?(?:ai|model|llm|assistant|bot|chatbot|agent|copilot|gpt|flow|automation)\s+"
    r"(?:must|should|may|can|will|is\s+to)?\s*(?:not|never|n['’]t)\s+(?:ever\s+)?([a-z]+)",
    re.I,
)
_WRITERS = ("reply", "answer", "summarise", "extract")
# what a model's text must not do beyond saying: "must not calculate final deadlines"
_WORK_VERBS = frozenset({"calculate", "compute", "prescribe", "place", "set", "finalize", "finalise"})


def hand_content_rules(
    data: dict[str, Any], roles: dict[str, tuple[str, bool]], sentences: list[str]
) -> list[str]:
    """Put the brief's rules on what a model must not say into each step that writes text for
    people (reply, answer, summary); the rules handed over. A rule that keeps a decision from
    models ("the model must not approve") is not one: no prompt can keep it."""
    rules = (
        [
            s.strip().rstrip(".")
            for s in sentences
            if (said := _NEVER_SAY.match(s)) is not None and said.group(1).lower() in _SAYING_VERBS
        ]
        + [
            s.strip().rstrip(".")
            for s in sentences
            if (m := _MODEL_MUST_NOT.search(s)) is not None
            # "must not place or suggest specific trades": any verb of the prohibition
            and any(
                w.lower().rstrip("s") in _CONTENT_VERBS | _WORK_VERBS
                for w in re.findall(r"[a-z]+", s[m.start(1) : m.start(1) + 40], re.I)[:4]
            )
        ]
    )
    writers = [s for s in data.get("steps", []) if roles.get(str(s.get("id")), ("", False))[0] in _WRITERS]
    # "If pci_level is 4.0 or higher, include the mitigation steps": what the written message
    # says on some events, for the steps that write messages (never an extraction)
    contents = [s.strip().rstrip(".") for s in sentences if _SAYS_WHEN.match(s)]
    if not (rules or contents) or not writers:
        return []
    for step in writers:
        system = str(step["prompt"]["system"])
        fresh = [r for r in rules if r not in system]
        if fresh:
            instruct(step, "Never break these rules from the brief:", fresh, quoted=fresh)
        said = [c for c in contents if c not in system]
        if said and roles.get(str(step.get("id")), ("", False))[0] in ("reply", "answer"):
            instruct(step, "Follow these rules from the brief:", said, quoted=said)
            rules += [c for c in said if c not in rules]
    return rules


# "Never recommend a specific contractor by name", "and never claim the home is safe": what a
# text must not say, with no one named to keep it (the steps that write text keep it)
_NEVER_SAY = re.compile(r"^\W*(?:and\s+|but\s+)?(?:never|don['’]?t|do\s+not)\s+(?:ever\s+)?([a-z]+)", re.I)
_SAYING_VERBS = frozenset({
    "mention", "promise", "suggest", "quote", "offer", "reveal", "disclose", "guess", "speculate",
    "recommend", "diagnose", "say", "state", "invent", "cite", "discuss", "admit", "blame", "claim",
    "guarantee", "include", "share",
})  # fmt: skip
_SAYS_WHEN = re.compile(
    r"^\W*(?:if|when|for)\b[^,;]{3,80},\s*(?:(?:the|our|your)\s+(?:e-?mail|message|reply|answer|text|letter|"
    r"response)\s+(?:should|must|will|needs?\s+to)\s+\w+|(?:include|mention|recommend|add|suggest|explain|say)\b)",
    re.I,
)


__all__ = ["hand_content_rules", "hand_rules_to_model", "is_rule"]
