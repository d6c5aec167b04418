"""The casualty vocabulary: every word or phrase that tells what happened to the people a figure counts.

One table (``KIND_WORD``: word -> killed / wounded / captured) that the casualty rules, the classifier and
the grouping all read, so that no rule knows a word another lacks ("abducted" and "kidnapped" count as
captured everywhere).
"""

from __future__ import annotations

import re

KIND_WORD: dict[str, str] = {"killed": "killed", "killing": "killed", "kill": "killed", "kills": "killed", "dead": "killed",
              "died": "killed", "dying": "killed", "martyred": "killed", "eliminated": "killed", "lifeless": "killed",
              "bodies": "killed", "deaths": "killed", "death": "killed", "lost their lives": "killed",
              "wounded": "wounded", "wounding": "wounded", "injured": "wounded", "injuring": "wounded",
              "injuries": "wounded", "hurt": "wounded",
              "captured": "captured", "capturing": "captured", "detained": "captured", "detaining": "captured",
              "arrested": "captured", "arresting": "captured", "taken hostage": "captured",
              "taken prisoner": "captured", "hostage": "captured", "hostages": "captured", "surrendered": "captured",
              "abducted": "captured", "abducting": "captured", "kidnapped": "captured", "detention": "captured",
              "apprehended": "captured", "in custody": "captured", "into custody": "captured",
              "in the custody": "captured", "capture of": "captured",
              "arrest of": "captured", "arrests of": "captured", "detention of": "captured",
              "killing of": "killed", "deaths of": "killed", "death of": "killed"}

KINDS = ("killed", "wounded", "captured")


def _alternation(words) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


# a word of each kind anywhere near a figure ("killed", "were abducted")
KIND: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(r"\b(?:" + _alternation(w for w, k in KIND_WORD.items() if k == kind) + r")\b", re.IGNORECASE))
    for kind in KINDS]
# people hurt, as a sentence may report them without any verb of violence ("3 bodies were found")
HURT_WORDS = ("killed", "killing", "dead", "died", "wounded", "injured", "bodies", "casualties", "fatality", "fatalities")
CASUALTY_ONLY = re.compile(r"\b(?:" + _alternation(HURT_WORDS) + r")\b", re.IGNORECASE)
# people hurt in the sentence's own action: bodies found are not (a weapons find or an arrest near them stays one)
HURT_IN_ACTION = re.compile(r"\b(?:" + _alternation(w for w in HURT_WORDS if w != "bodies") + r")\b", re.IGNORECASE)
