"""ACLED event type and sub-event type from trigger phrases, most specific first."""

from __future__ import annotations

import re
from dataclasses import dataclass

# (event_type, sub_event_type, pattern). Order matters: the first rule that matches a sentence wins,
# so territory changes and specific weapons come before the generic "fighting".
RULES: list[tuple[str, str, str]] = [
    ("Strategic developments", "Non-violent transfer of territory",
     r"without (?:a )?(?:fight|fighting|resistance)|handed over (?:the )?(?:city|district|province|control)|"
     r"surrendered (?:the )?(?:city|district)"),
    ("Battles", "Government regains territory",
     r"(?:retook|recaptured|retaken|regained control|took back|cleared of (?:the )?(?:Taliban|militants))"),
    ("Battles", "Non-state actor overtakes territory",
     r"(?:fell|fallen|falling|fall) (?:in)?to (?:the )?(?:Taliban|militants|insurgents|extremists)|"
     r"(?:captured|seized|overran|overrun|conquered|took control of|taken control of|stormed and seized)"
     r"(?: [\w-]+){0,4} (?:city|cities|capital|capitals|district centres?|district centers?|districts?|province|"
     r"provincial capitals?|headquarters|government buildings|governor's (?:office|compound)|territory)|"
     r"(?:stormed|taken|took|entered)(?: [\w-]+){0,2} (?:city|cities|capitals?|provincial capitals?|headquarters|"
     r"government buildings|governor's (?:office|compound))|"
     r"under (?:the )?Taliban(?:'s)? control|(?:had|have|has) fallen|"
     r"(?:captured|seized|conquered|taken) (?:the )?(?:major |northern |southern |key )?(?:cities|city|capital)|"
     r"(?:conquered|overran|seized control of|took over)"),
    ("Explosions/Remote violence", "Suicide bomb", r"suicide (?:bomb(?:er|ing)?|attack(?:er)?|car bomb|blast)"),
    ("Explosions/Remote violence", "Air/drone strike",
     r"air ?strikes?|air raids?|drone strikes?|airstrikes?|(?:planes|aircraft|jets|drones?) (?:are |were )?bomb|"
     r"bombing(?:s)? by (?:the )?(?:air|planes)|aerial (?:attack|bombardment)"),
    ("Explosions/Remote violence", "Shelling/artillery/missile attack",
     r"shelling|mortars?(?: shells?| rounds?| attack)?|artillery|rockets? (?:fire|attack|hit|landed|were fired)|"
     r"missiles?"),
    ("Explosions/Remote violence", "Grenade", r"grenades?"),
    ("Explosions/Remote violence", "Remote explosive/landmine/IED",
     r"roadside bomb|landmines?|\bIEDs?\b|improvised explosive|magnetic bomb|sticky bomb|car bomb|"
     r"explosions?|blasts?|bomb (?:went off|exploded|blast)|explosive device|mine (?:blast|explosion)"),
    ("Battles", "Armed clash",
     r"clash(?:es|ed)?|fighting|fought|fights?|battles?|firefights?|gunfights?|offensive|ambush(?:ed)?|"
     r"attack(?:ed|s)? (?:on )?(?:\w+ ){0,3}(?:checkpoints?|posts?|outposts?|bases?|positions?|convoy)|"
     r"stormed|besieg(?:ing|ed)|exchange of fire|engaged|skirmish(?:es)?|advanc(?:ed|es|ing)"),
    ("Violence against civilians", "Attack",
     r"shot dead|gunned down|assassinat(?:ed|ion)|executed|massacre"),
    ("Violence against civilians", "Abduction/forced disappearance", r"abduct(?:ed|ion)|kidnapp?(?:ed|ing)"),
    ("Strategic developments", "Arrests", r"arrested|detained|apprehended"),
    ("Protests", "Peaceful protest", r"protest(?:ed|ers|s)?|demonstrat(?:ion|ors|ed)|rall(?:y|ied)"),
    ("Riots", "Violent demonstration", r"riot(?:s|ers|ing)?"),
]
_COMPILED = [(t, s, re.compile(r"(?<![\w])(?:" + p + r")", re.IGNORECASE)) for t, s, p in RULES]

CASUALTY_ONLY = re.compile(r"\b(?:killed|killing|dead|died|wounded|injured|bodies|casualties)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Trigger:
    event_type: str
    sub_event_type: str
    start: int
    end: int
    text: str
    rank: int


_DENIAL = re.compile(r"\b(?:den(?:y|ied|ies|ying)|rejected|dismissed)\b", re.IGNORECASE)


def classify(sentence: str) -> Trigger | None:
    for rank, (etype, sub, rx) in enumerate(_COMPILED):
        m = rx.search(sentence)
        if m:
            if sub == "Non-state actor overtakes territory" and _DENIAL.search(sentence[:m.start()]):
                continue  # "denied the Taliban had captured the city": a disputed claim, not a takeover
            return Trigger(etype, sub, m.start(), m.end(), m.group(0), rank)
    return None
