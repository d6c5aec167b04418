"""ACLED event type and sub-event type from trigger phrases, most specific first."""

from __future__ import annotations

import re
from dataclasses import dataclass

# (event_type, sub_event_type, pattern). Order matters: the first rule that matches a sentence wins,
# so territory changes and specific weapons come before the generic "fighting".
RULES: list[tuple[str, str, str]] = [
    ("Strategic developments", "Non-violent transfer of territory",
     r"without (?:a )?(?:fight|fighting|resistance)|handed over (?:the )?(?:city|district|province|control)|"
     r"surrendered (?:the )?(?:city|district)|(?:abandoned|withdrew from|evacuated|vacated) (?:\w+ ){0,3}"
     r"(?:base|bases|posts?|check ?points?|outposts?|district|headquarters)"),
    ("Battles", "Government regains territory",
     r"(?:retook|recaptured|retaken|regained(?: control)?|took back|liberated|cleared (?:\w+ ){0,3}of (?:the )?"
     r"(?:Taliban|militants|insurgents))"),
    ("Battles", "Non-state actor overtakes territory",
     r"(?:fell|fallen|falling|fall) (?:in)?to (?:the )?(?:Taliban|militants|insurgents|extremists)|"
     r"(?:captured|seized|overran|overrun|conquered|took control of|taken control of|stormed and seized)"
     r"(?: [\w-]+){0,4} (?:city|cities|capital|capitals|district centres?|district centers?|districts?|province|"
     r"provincial capitals?|headquarters|government buildings|governor's (?:office|compound)|territory|"
     r"check ?points?|posts?|outposts?|bases?|villages?)|"
     r"(?:stormed|taken|took|entered)(?: [\w-]+){0,2} (?:city|cities|capitals?|provincial capitals?|headquarters|"
     r"government buildings|governor's (?:office|compound))|"
     r"under (?:the )?Taliban(?:'s)? control|(?:had|have|has) fallen|"
     r"(?:captured|seized|conquered|taken) (?:the )?(?:major |northern |southern |key )?(?:cities|city|capital)|"
     r"(?:conquered|overran|overtook|overtaken|overrun|seized control of|took over)"),
    ("Explosions/Remote violence", "Suicide bomb",
     r"suicide (?:bomb(?:er|ing)?s?|attack(?:er)?s?|car bomb|blast|vest|bomber)|(?:self|him|her)self up"),
    ("Strategic developments", "Disrupted weapons use",
     r"detonated prematurely|premature(?:ly)? (?:detonat\w+|explo\w+)|defus(?:ed|ing)|diffus(?:ed|ing)|"
     r"(?:while|as|when) (?:he was |they were |(?:the )?militants were |trying to |attempting to )?"
     r"(?:planting|placing|emplacing|assembling|making|plant|place)\b(?! of)|(?:their|his) own (?:bomb|explosives|mine)"),
    ("Explosions/Remote violence", "Air/drone strike",
     r"air ?strikes?|air raids?|drone strikes?|airstrikes?|air[- ]?strike\(?s?\)?|(?:planes|aircraft|jets|drones?|"
     r"helicopters?|gunships?) (?:are |were )?(?:bomb|struck|strike|fired|target)|"
     r"bombing(?:s)? by (?:the )?(?:air|planes)|aerial (?:attack|bombardment|strikes?)|precision strike"),
    ("Explosions/Remote violence", "Shelling/artillery/missile attack",
     r"shelling|shelled|mortars?(?: shells?| rounds?| attack)?|artillery|rockets? (?:fire|attack|hit|landed|were fired)|"
     r"missiles?|rocket[- ]propelled grenades?|\bRPGs?\b|fired (?:\w+ ){0,2}rockets?|rockets? fired|"
     r"fired heavy weapons|heavy weapons? fire|pounded"),
    ("Explosions/Remote violence", "Grenade", r"(?<!propelled )grenades?"),
    ("Explosions/Remote violence", "Remote explosive/landmine/IED",
     r"roadside bomb|landmines?|\bIEDs?\b(?! (?:makers?|making|facilitators?|cells?|networks?|emplacers?|"
     r"materials?|factory|facilit))|improvised explosive(?! device (?:makers?|facilitators?|cells?|networks?))|"
     r"magnetic bomb|sticky bomb|car bomb|explosions?|blasts?|bomb (?:went off|exploded|blast)|explosive device|"
     r"mine (?:blast|explosion)|bombs? planted|planted (?:a |an |\d+ )?(?:bombs?|mines?|explosives?)|"
     r"\bbombs?\b(?! (?:makers?|making|factory|materials?))|hit (?:a |an )?(?:mine|bomb)|detonated"),
    ("Battles", "Armed clash",
     r"clash(?:es|ed)?|fighting|fought|fights?|battles?|firefights?|gunfights?|offensive|ambush(?:ed|es)?|"
     r"attack(?:ed|s|ing)?|stormed|besieg(?:ing|ed)|exchange of fire|engaged|skirmish(?:es)?|advanc(?:ed|es|ing)|"
     r"raids?|raided|operations?|repelled|repulsed|fended off|snipers?|opened fire|fired (?:on|at|upon)|gunfire|"
     r"shot|shooting|encounter|counter-?attack"),
    ("Violence against civilians", "Attack",
     r"shot dead|gunned down|assassinat(?:ed|ion)|executed|massacre|beheaded|lynched"),
    ("Violence against civilians", "Sexual violence", r"raped|rapes?\b|sexual(?:ly)? (?:assault\w*|abuse\w*|violence)"),
    ("Violence against civilians", "Abduction/forced disappearance",
     r"abduct(?:ed|ion|s)?|kidnapp?(?:ed|ing)|taken hostage|took (?:\w+ ){0,3}hostages?"),
    ("Strategic developments", "Arrests", r"arrest(?:ed|ing)|detain(?:ed|ing)|apprehended|captur(?:ed|ing)|detention|"
                                          r"in(?:to)? custody"),
    ("Protests", "Peaceful protest", r"protest(?:ed|ers|s)?|demonstrat(?:ion|ors|ed)|rall(?:y|ied)"),
    ("Riots", "Violent demonstration", r"riot(?:s|ers|ing)?"),
    ("Strategic developments", "Disrupted weapons use",
     r"(?:seized|confiscated|discovered|found|recovered|captured)(?: and (?:seized|destroyed|defused|confiscated))?"
     r"(?: [\w,-]+){0,8} (?:explosives|weapons|caches?|ammunitions?|munitions|IEDs|mines|RPGs|rockets|arms|"
     r"rifles|bomb-making|suicide vests?)\b|weapons? caches?"),
    ("Strategic developments", "Looting/property destruction",
     r"loot(?:ed|ing)|torched|set (?:\w+ ){0,3}(?:on )?fire|set (?:\w+ ){0,3}ablaze|burn(?:ed|t) down|burned|"
     r"destroyed (?:a |an |the |\d+ )?(?:[\w-]+ ){0,3}(?:bridges?|schools?|clinics?|houses?|homes?|shops?|mosques?|"
     r"property|properties|telecommunication|towers?|roads?|buildings?|prisons?|warehouses?|depots?|hideouts?)"),
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


# weapons found, or what a wanted man is "responsible for": a description, not an explosion
_NOT_AN_ATTACK = re.compile(r"\b(?:found|find|discovered|seized|confiscated|recovered|caches?|materials?|components?|"
                            r"making|maker|facilitat\w+|emplacement|specialists?|responsible for|smuggl\w+|"
                            r"suppl(?:y|ies|ied|ier)|coordinat\w+|involved in|known for|networks?|rounds of|"
                            r"consisted of|including|construct\w*|build\w*|used to|make|plann\w+|intend\w*|turned in|handed in)\b[^.;]{0,60}$",
                            re.IGNORECASE)
_SEIZED_AFTER = re.compile(r"^[^.;]{0,120}?\b(?:were|was|had been|have been)\s+(?:\w+\s+){0,2}(?:seized|found|"
                           r"discovered|recovered|confiscated|destroyed|defused|cleared|turned in|handed over)\b",
                           re.IGNORECASE)
_OPERATION_ONLY = re.compile(r"operations?|raids?|raided", re.IGNORECASE)
_ARREST = re.compile(r"\b(?:arrest(?:ed|ing)|detain(?:ed|ing)|apprehended|captur(?:ed|ing)|in(?:to)? custody)\b", re.IGNORECASE)
_KILLED = re.compile(r"\b(?:killed|killing|dead|died|wounded|injured|casualties)\b", re.IGNORECASE)


def classify(sentence: str) -> Trigger | None:
    for rank, (etype, sub, rx) in enumerate(_COMPILED):
        m = rx.search(sentence)
        if m:
            if sub == "Non-state actor overtakes territory" and _DENIAL.search(sentence[:m.start()]):
                continue  # "denied the Taliban had captured the city": a disputed claim, not a takeover
            if etype == "Explosions/Remote violence" and sub != "Air/drone strike" and \
                    (_NOT_AN_ATTACK.search(sentence[max(0, m.start() - 80):m.start()]) or
                     _SEIZED_AFTER.match(sentence, m.end())):
                continue
            if sub == "Armed clash" and _OPERATION_ONLY.fullmatch(m.group(0)) and _ARREST.search(sentence) and \
                    not _KILLED.search(sentence) and not _COMPILED[rank][2].search(sentence, m.end()):
                continue  # "detained two suspects during an operation": the operation is the arrest
            if sub in ("Arrests", "Looting/property destruction") and _KILLED.search(sentence) or \
                    sub == "Disrupted weapons use" and rank > 5 and _KILLED.search(sentence):
                # "5 militants were killed and 4 arrested": the arrests are part of the fighting
                return Trigger("Battles", "Armed clash", m.start(), m.end(), m.group(0), rank)
            return Trigger(etype, sub, m.start(), m.end(), m.group(0), rank)
    return None
