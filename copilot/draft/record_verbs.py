"""Actions said with a general verb: "make a Maxient case" creates a record, "run the credit
check thru TransUnion" reads one. Used by the clause reader (`copilot.draft.verbs`)."""

from __future__ import annotations

import re

# "run the credit/background check thru TransUnion SmartMove": a check a system runs, a read
RUN_CHECK = re.compile(
    r"\W*(?:(?:and|plus|also|then)\s+)*runs?\s+(?:an?\s+|the\s+|their\s+|our\s+)?(?:[\w/-]+\s+){0,3}?"
    r"(?:check|search|screening|report|query|lookup|scan)s?\b",
    re.I,
)
# "make a Maxient case", "make a new ticket in Jira": "make" as "create", for a record only
MAKE_RECORD = re.compile(
    r"\W*(?:(?:and|plus|also|then)\s+)*(?:make|makes)\s+(?:an?\s+|the\s+)?(?:new\s+)?(?:[A-Za-z][\w-]*\s+){0,2}?"
    r"(?:case|ticket|record|task|entry|incident|issue|order|appointment|booking|work\s+order)\b",
    re.I,
)


# "auto-delivery customers get a delivery order created in Cargas": a thing done for the subject
CAUSED_DONE = re.compile(
    r"\b(?:gets?|should\s+get|will\s+get|have|has)\s+(?:a|an|the|their|its)\s+"
    # "birthdays get a free dessert note added to the reservation in OpenTable"
    r"(?P<noun>(?:[\w-]+\s+){0,3}?[\w-]+)\s+(?P<done>[a-z]+(?:ed|en))\s+(?:in|on|into|to|via|through|with)\b",
    re.I,
)
