"""ACLED event type and sub-event type of a sentence, from trigger phrases, most specific first.

The whole ACLED taxonomy (``taxonomy.EVENT_TYPES``): battles, explosions and remote violence (chemical
weapons and grenades included), violence against civilians, protests, riots and strategic developments.
A sentence about something ACLED does not code (a natural or industrial disaster, an accident, a disease,
sport, ordinary crime without a political actor) gets no trigger, so it yields no event. ``classify``
depends on the sentence alone: the same sentence always gets the same trigger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .actors import default_actor_book
from .lexicon import HURT_IN_ACTION
from .non_events import attribution, not_an_event

__all__ = ["Trigger", "attribution", "classify", "not_an_event", "one_sided", "reciprocal", "seizure"]

# (event_type, sub_event_type, pattern). Order matters: the first rule that matches a sentence wins,
# so territory changes and specific weapons come before the generic "fighting".
RULES: list[tuple[str, str, str]] = [
    ("Strategic developments", "Non-violent transfer of territory",
     r"without (?:a )?(?:fight|fighting|resistance)|handed over (?:the )?(?:city|district|province|control)|"
     r"surrendered (?:the )?(?:city|district)|(?:abandoned|withdrew from|evacuated|vacated) (?:\w+ ){0,3}"
     r"(?:base|bases|posts?|check ?points?|outposts?|district|headquarters)|"
     # a side that left a place to the other: "after Kurdish YPG forces pulled out", "have withdrawn from Gofgadud area"
     r"(?:withdr[ae]wn?|withdraw(?:ing)?|pulled out|pulling out|retreated|vacated|abandoned) "
     # ... but not a side falling back to a place it still holds: "withdrew to a base outside the district"
     r"(?!(?:back )?(?:to|towards|into|inside|within)\b)(?:from |of )?(?:the |a |an |"
     r"their |its )?(?:[\w'-]+ ){0,3}?(?:bases?|posts?|check ?points?|outposts?|districts?|headquarters|towns?|city|"
     r"villages?|areas?|regions?|castle|positions|territory|bastion|strongholds?)\b|"
     r"(?:after|following) (?:the )?(?:[\w-]+ ){0,3}(?:forces|troops|fighters|army|soldiers) (?:had )?(?:withdr[ae]wn?|"
     r"pulled out|retreated|left)\b|(?:withdrawal|pull-?out) of (?:\w+ ){0,3}(?:forces|troops|fighters)|"
     r"(?:not encountered|without encountering|met no|faced no) (?:any )?resistance|handover of|handed (?:\w+ ){0,4}over to|"
     r"evacuation (?:deal|agreement)"),
    ("Battles", "Government regains territory",
     r"(?:retook|recaptured|retaken|regained(?: control)?|took back|liberated|cleared (?:\w+ ){0,3}of (?:the )?"
     r"(?:Taliban|militants|insurgents|rebels|jihadists|Al[- ]Shabaa?b|Islamic State|terrorists))|"
     # the state drove an armed group out: "freed several villages from IS", "pushed al-Shabab out of fresh areas"
     r"(?:recovered|wrested(?: back)?) (?:full )?control|freed (?:\w+ ){0,3}(?:villages?|towns?|areas?|cities|city|"
     r"districts?|neighbou?rhoods?|regions?) from|(?:drove|driven|pushed|expelled|ousted|flushed|purg(?:ed|ing)) "
     r"(?:[\w-]+ ){0,5}?(?:out of|from (?:the |their )?(?:newly captured|strongholds?|areas?|positions?))|"
     r"(?:were|was|been) (?:pushed|driven) (?:back|out)"),
    ("Battles", "Non-state actor overtakes territory",
     r"(?:fell|fallen|falling|fall) (?:in)?to (?:the )?(?:Taliban|militants|insurgents|extremists|rebels|jihadists|"
     r"Al[- ]Shabaa?b|Islamic State|Houthis?)|"
     r"(?:captured|seized|overran|overrun|conquered|took (?:full )?control (?:by force )?of|taken (?:full )?control of|"
     r"stormed and seized|established control over)"
     r"(?: [\w'()-]+){0,4} (?:city|cities|capital|capitals|district centres?|district centers?|districts?|province|"
     r"provincial capitals?|headquarters|government buildings|governor's (?:office|compound)|territory|"
     r"check ?points?|posts?|outposts?|bases?|villages?|towns?|neighbou?rhoods?|ports?|camps?|hills?|hill posts?|"
     r"areas?|regions?|airports?|air ?bases?|oil ?fields?|strongholds?|islands?|positions|enclaves?)|"
     r"(?:stormed|taken|took|entered)(?: [\w-]+){0,2} (?:city|cities|capitals?|provincial capitals?|headquarters|"
     r"government buildings|governor's (?:office|compound))|"
     r"under (?:the )?Taliban(?:'s)? control|(?:had|have|has) fallen|"
     r"(?:captured|seized|conquered|taken) (?:the )?(?:major |northern |southern |key )?(?:cities|city|capital)|"
     r"(?:conquered|overran|overtook|overtaken|overrun|seized control of|took over)"),
    ("Explosions/Remote violence", "Chemical weapon",
     r"chemical (?:weapons?|attacks?|agents?|munitions?|bombs?)|sarin|chlorine (?:gas|bombs?|barrels?|attacks?)|"
     r"(?:sulfur |sulphur )?mustard(?: gas)?(?= (?:attack|gas|shells?|bombs?|agents?|in|on|against))|nerve (?:agent|gas)|"
     r"(?:poison(?:ous)?|toxic) (?:gas(?:es)?|chemicals?)(?! leak)|"
     r"(?:filled|loaded|stuffed|laced|armed) with (?:\w+ ){0,3}?(?:chlorine|poison\w*|toxic|chemicals?)"),
    ("Explosions/Remote violence", "Suicide bomb",
     r"suicide (?:bomb(?:er|ing)?s?|attack(?:er)?s?|car bomb|blast|vest|bomber)|(?:self|him|her)self up"),
    ("Strategic developments", "Disrupted weapons use",
     r"detonated prematurely|premature(?:ly)? (?:detonat\w+|explo\w+)|defus(?:ed|ing)|diffus(?:ed|ing)|"
     r"(?:bomb|explosives?) disposal|disarmed (?:a |an |the |\d+ )?(?:bombs?|mines?|explosives?|IEDs?|devices?)|"
     r"(?:while|as|when) (?:he was |they were |(?:the )?militants were |trying to |attempting to )?"
     r"(?:planting|placing|emplacing|assembling|making|plant|place)\b(?! of)|(?:their|his) own (?:bomb|explosives|mine)|"
     r"(?:intercepted|shot down|downed) (?:\w+ ){0,3}(?:drones?|missiles?|rockets?)"),
    ("Explosions/Remote violence", "Air/drone strike",
     r"air ?strikes?|air raids?|drone strikes?|airstrikes?|air[- ]?strike\(?s?\)?|(?:planes|aircraft|jets|drones?|"
     r"helicopters?|gunships?|warplanes) (?:are |were |have |had )?(?:bomb|struck|strike|fired|target|pounded|attacked|hit)|"
     r"bombing(?:s)? by (?:the )?(?:air|planes)|aerial (?:attack|bombardment|strikes?)|precision strike|"
     r"(?:warplanes|drones?) (?:\w+ ){0,2}(?:bombed|struck|targeted|pounded)|bombarded from the air"),
    ("Explosions/Remote violence", "Shelling/artillery/missile attack",
     r"shelling|shelled|mortars?(?: shells?| rounds?| attack)?|artillery|rockets? (?:fire|attack|hit|landed|were fired)|"
     r"missiles?|rocket[- ]propelled grenades?|\bRPGs?\b|fired (?:\w+ ){0,2}rockets?|rockets? fired|"
     r"fired heavy weapons|heavy weapons? fire|pounded|projectiles?|katyushas?|"
     r"fired (?:[\w.,-]+ ){0,8}?(?:shells|heavy (?:and medium )?(?:weapons|machine ?guns)|(?:heavy |medium )?machine ?guns|"
     r"cannons?|howitzers?|\d+(?:\.\d+)?mm(?: \w+)?)\b(?! into the air)"),
    ("Explosions/Remote violence", "Grenade", r"(?<!propelled )(?<!smoke )(?<!stun )grenades?"),
    ("Explosions/Remote violence", "Remote explosive/landmine/IED",
     r"roadside bomb|landmines?|\bIEDs?\b(?! (?:makers?|making|facilitators?|cells?|networks?|emplacers?|"
     r"materials?|factory|facilit))|improvised explosive(?! device (?:makers?|facilitators?|cells?|networks?))|"
     r"magnetic bomb|sticky bomb|car bomb|explosions?|blasts?|bomb (?:went off|exploded|blast)|explosive device|"
     r"mine (?:blast|explosion)|bombs? planted|planted (?:a |an |\d+ )?(?:bombs?|mines?|explosives?)|"
     r"\bbombs?\b(?! (?:makers?|making|factory|materials?|threats?|scares?))|hit (?:a |an )?(?:mine|bomb)|detonated|"
     r"\bVBIEDs?\b|booby[- ]trap\w*"),
    ("Riots", "Mob violence",
     r"\bmobs?\b|lynch(?:ed|ing|ings)?|vigilante (?:justice|attack|killing)s?|"
     r"(?:angry |irate )?(?:residents|villagers|locals|crowds?|neighbou?rs|a group of (?:people|residents|men|youths)) "
     r"(?:(?!were\b|was\b|been\b|had\b)\w+ ){0,2}?(?:beat|stoned|lynched|set fire to|torched|burned|burnt)\b|"
     r"\b(?:a group of|a crowd of|a pair of|dozens of|hundreds of) (?:people|residents|men|youths|neighbou?rs|villagers|"
     r"locals|citizens)\b[^.;]{0,60}?\b(?:attacked|threw|hurled|beat|stoned|lynched|torched|set fire)"),
    ("Violence against civilians", "Sexual violence",
     r"raped|rapes?\b|gang-?rap\w+|sexual(?:ly)? (?:assault\w*|abuse\w*|violence|exploit\w*)"),
    ("Violence against civilians", "Abduction/forced disappearance",
     r"abduct(?:ed|ion|s|ing)?|kidnapp?(?:ed|ing|ings)?|taken hostage|took (?:\w+ ){0,3}hostages?|"
     r"forcibly disappeared|forced disappearance|went missing after (?:being )?(?:taken|seized)"),
    # a ceasefire, a prisoner exchange or a surrender ends fighting the same sentence may name: the agreement is the event
    ("Strategic developments", "Agreement",
     r"(?:reached|signed|struck|agreed|brokered|concluded|accepted) (?:on |to )?(?:an? |the )?(?:\w+ ){0,3}?(?:agreement|"
     r"deal|ceasefire|cease-fire|truce|accord|pact)|exchang(?:ed|ing|e) (?:\w+ ){0,3}?prisoners|prisoner (?:swap|exchange)|"
     r"exchange (?:\w+ )?of prisoners|(?:ceasefire|cease-fire|truce|peace|evacuation) (?:agreement|deal|accord)|"
     r"(?:have|has|had) surrendered|surrendered to|peace (?:talks|negotiations) (?:started|began|resumed|opened)"),
    # forces moved, formed, reinforced or defecting, with nobody hurt (``classify`` drops it when someone is): the
    # movement is the event, not the "offensive" or "attack" it prepares
    ("Strategic developments", "Change to group/activity",
     r"(?:mobili[sz](?:ing|ed|es)|dispatch(?:ed|ing)|forwarded|(?:is|are|was|were) moving|redeploy\w*|"
     r"(?:has|have|had) (?:sent|deployed)) (?:[\w,-]+ ){0,4}?(?:troops|forces|fighters|soldiers|members|men|units|"
     r"reinforcements|convoys?)\b|defected|(?:were|was|have been|has been|had been|have|has) (?:\w+ )?formed\b|"
     r"fortify(?:ing)? (?:their|its) positions|reinforced (?:their|its) (?:presence|positions|air defen[cs]es?|"
     r"defen[cs]es?|deployment)"),
    # property looted or plundered with nobody hurt (``classify`` drops it when someone is): the looting is the event
    ("Strategic developments", "Looting/property destruction", r"loot(?:ed|ing)|plunder(?:ed|ing)|ransack(?:ed|ing)"),
    ("Battles", "Armed clash",
     r"clash(?:es|ed)?|fighting|fought|fights?\b|battles?|firefights?|gunfights?|offensive|ambush(?:ed|es)?|"
     r"attack(?:ed|s|ing)?|stormed|besieg(?:ing|ed)|exchange of fire|exchanged fire|engaged|skirmish(?:es)?|"
     r"advanc(?:ed|es|ing)|raids?|raided|operations?|repelled|repulsed|fended off|snipers?|opened fire|"
     r"fired (?:on|at|upon)|gunfire|shot|shooting|encounter|counter-?attack|shootout|gun battle"),
    ("Violence against civilians", "Attack",
     r"shot dead|gunned down|assassinat(?:ed|ion|e)|executed|massacre|beheaded|decapitated|dismembered|murdered|stabbed|"
     r"hacked to death|beat(?:en)? to death|tortured|burned alive|found dead|"
     r"(?:human remains|human heads?|bod(?:y|ies)|corpses?|remains)\b[^.;]{0,40}?\b(?:was|were|had been|have been) "
     r"(?:found|discovered|located|dumped|recovered)"),
    ("Strategic developments", "Arrests", r"arrest(?:ed|ing|s)?\b|detain(?:ed|ing)|apprehended|captur(?:ed|ing)|"
                                          r"detention|in(?:to)? custody|rounded up"),
    ("Strategic developments", "Agreement",
     r"(?:reached|signed|struck|agreed|brokered|concluded|accepted) (?:on )?(?:an? |the )?(?:\w+ ){0,3}(?:agreement|"
     r"deal|ceasefire|cease-fire|truce|accord|pact|peace)|peace (?:talks|conference|agreement|deal|accord|"
     r"negotiations)|ceasefire|cease-fire|truce|prisoner (?:swap|exchange)|in exchange for the release|"
     r"reconciliation (?:meeting|conference|talks)|peace (?:meeting|deal)"),
    ("Strategic developments", "Headquarters or base established",
     r"(?:established|set up|setting up|establishing|built|erected|created|opened) (?:today |a |an |its |their |the |"
     r"(?:\w+ )?number of |total of |(?:\w+th|first|second|third|\d+(?:st|nd|rd|th)?|two|three|several|new|"
     r"military|observation|relief) )*(?:bases?|camps?|headquarters|outposts?|posts?|check ?points?|points?|"
     r"garrisons?|barracks)\b|(?:point|base|post|camps?|bases|posts) (?:was|were|have been|has been) established"),
    ("Strategic developments", "Change to group/activity",
     r"movement of forces|(?:were|was|been) (?:seen|spotted|observed|reported) (?:\w+ ){0,2}(?:moving|gathering|"
     r"regrouping|operating|patrolling|massing|mobili[sz]ing|heading|arriving|deploying|stationed|conducting)|"
     r"reinforcements|deployed (?:\w+ ){0,4}(?:troops|forces|soldiers|fighters|units)|(?:troops|forces|soldiers) "
     r"(?:were|have been|had been) deployed|mobili[sz]ed|(?:pull(?:ed)? back|withdr[ae]w|withdrawn|retreated) from|"
     r"recruit(?:ed|ing|ment)|defect(?:ed|ion|ions)|curfew|training camp|graduation ceremony|"
     # an armed group handing out aid to win the population ("delivered food packages to families")
     r"(?:delivered|distributed|handed out|gave out) (?:\w+ ){0,3}?(?:food|aid|packages|boxes|supplies|groceries)|"
     r"(?:imposed|banned|announced) (?:\w+ ){0,3}(?:ban|restrictions|taxes|tax|lockdown)|redeployed|"
     r"(?:established|built|dug|set up|reinforced) (?:\w+ ){0,3}(?:fortifications?|trenches|barricades|defensive "
     r"(?:lines|positions))|fortified|recruitment campaign|reinforcements? (?:arrived|reached)"),
    ("Protests", "Peaceful protest", r"protest(?:ed|ers?|ors?|s|ing)?|demonstrat(?:ion|ions|ors?|ed|ing)|"
                                     r"rall(?:y|ies|ied)|sit-?ins?|marched|took to the streets|(?:went|are|were) on "
                                     r"strike|hunger strike|general strike|strikers|picket\w*|boycott\w*|"
                                     # civilians who block a road or make demands together protest (not troops who
                                     # block a road)
                                     r"(?:workers|residents|teachers|students|traders|merchants|farmers|drivers|staff|"
                                     r"villagers|employees|nurses|doctors|activists|vendors|relatives|families|people)\b"
                                     r"(?:[^.;]{0,80}?\b)(?:demanded|denounced|commemorated|blocked|blockaded|padlocked)"),
    ("Riots", "Violent demonstration", r"riot(?:s|ers|ing|ed)?|unrest"),
    ("Strategic developments", "Disrupted weapons use",
     r"(?:seized|confiscated|discovered|found|recovered|captured)(?: and (?:seized|destroyed|defused|confiscated))?"
     r"(?: [\w,-]+){0,8} (?:explosives|weapons|caches?|ammunitions?|munitions|IEDs|mines|RPGs|rockets|arms|"
     r"rifles|bomb-making|suicide vests?)\b|weapons? caches?"),
    ("Strategic developments", "Looting/property destruction",
     r"loot(?:ed|ing)|torched|set (?:\w+ ){0,3}(?:on )?fire|set (?:\w+ ){0,3}ablaze|burn(?:ed|t) down|burned|"
     r"destroyed (?:a |an |the |\d+ )?(?:[\w-]+ ){0,3}(?:bridges?|schools?|clinics?|houses?|homes?|shops?|mosques?|"
     r"property|properties|telecommunication|towers?|roads?|buildings?|prisons?|warehouses?|depots?|hideouts?|"
     r"vehicles?|lorries|trucks?|crops|churches|offices?)|vandali[sz]\w+|plunder\w*|ransack\w*"),
]
_COMPILED = [(t, s, re.compile(r"(?<![\w])(?:" + p + r")", re.IGNORECASE)) for t, s, p in RULES]
_RANK = {sub: i for i, (_, sub, _) in reversed(list(enumerate(RULES)))}
_RANK.update({sub: _RANK["Peaceful protest"] for sub in ("Protest with intervention", "Excessive force against protesters")})
_RANK.setdefault("Violent demonstration", len(RULES))



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
_KILLED = HURT_IN_ACTION  # the lexicon's: one casualty vocabulary

# -- demonstrations: what happened to (or was done by) the crowd decides the sub-type ----------------

_CROWD = re.compile(r"\b(?:protest(?:ed|ers?|ors?|s|ing)?|riot(?:ers?|ed|ing)|riots\b|demonstrat(?:ion|ions|ors?|ed|ing)|rall(?:y|ies|ied)|"
                    r"sit-?ins?|marchers|marched|took to the streets|strikers|(?:went|were|are) on strike|"
                    r"(?:blocked|blockaded|cut off|closed|occupied|padlocked) (?:\w+ ){0,3}?(?:roads?|highways?|streets?|"
                    r"avenues?|boulevards?|bridges?|entrances?|access|offices?|toll booths?)\b[^.;]{0,80}?\b(?:to )?"
                    r"(?:demand\w*|protest\w*|denounc\w+|reject\w*|against|ask\w*|call\w* for|claim\w*|in response to|"
                    r"condemn\w*|critici[sz]\w*)|(?:people|residents|youths?|crowds?) (?:\w+ ){0,4}?burn(?:ed|t|ing) "
                    r"(?:\w+ ){0,2}?(?:tyres|tires)|"
                    r"(?:gathered|assembled|rallied) (?:\w+ ){0,4}?(?:to )?(?:demand|protest|denounce|call for))\b",
                    re.IGNORECASE)
_FORCE = r"(?:police|policem[ae]n|security forces|soldiers|troops|army|forces|officers|gendarmes|guards|militia\w*|" \
         r"authorities|agents)"
_EXCESSIVE = re.compile(r"\b(?:opened fire|open fire|live (?:ammunition|rounds|bullets|fire)|shot (?:dead|and killed)|"
                        r"fired (?:live |real )?(?:bullets|rounds|shots)? ?(?:on|at|into)|(?:killing|killed|shot|shooting)\b"
                        r"(?:[^.;]{0,40}\b(?:protesters?|demonstrators?|people|civilians))|gunfire|beat(?:en|ing)? "
                        r"(?:\w+ ){0,2}(?:protesters?|demonstrators?)|crackdown|excessive force)", re.IGNORECASE)
_RIOTING = re.compile(r"\b(?:burn(?:ed|t|ing)? (?:\w+ ){0,2}(?:tyres|tires|vehicles?|cars?|buildings?|offices?|police|"
                      r"materials?|garbage|rubbish|trash|barricades?|branches)|"
                      r"thr(?:ew|ows?|owing) (?:\w+ ){0,2}(?:stones|rocks|bricks|bottles|molotov\w*|petrol bombs|projectiles|objects|"
                      r"fireworks|fences?|debris)|(?:stones|rocks|bricks|bottles|projectiles|objects|fireworks) (?:were|was) "
                      r"(?:thrown|hurled)|hurled (?:\w+ ){0,2}(?:projectiles|objects|bottles|bricks)|"
                      r"stone-?pelting|pelted|hurled (?:\w+ ){0,2}(?:stones|rocks)|set (?:\w+ ){0,3}(?:on )?fire|"
                      r"set (?:\w+ ){0,3}ablaze|torched|vandali[sz]\w*|looted|looting|smashed|clash(?:ed|es)? with|"
                      r"attacked (?:\w+ ){0,2}(?:police|officers|security|soldiers|a police|the police)|stormed|"
                      r"(?:pull(?:ed|ing)?|tore|tear(?:ing)?) down|broke into|breach(?:ed|ing)|molotov\w*|petrol bombs?|violent (?:protests?|demonstrations?)|turned violent|riot(?:s|ers|ing|ed)?)",
                      re.IGNORECASE)
_INTERVENTION = re.compile(r"\b(?:dispers(?:ed|e|ing|al)|tear ?gas|teargas|rubber (?:bullets|rounds)|water cannons?|"
                           r"pepper spray|baton\w*|broke up|break up|arrested|detained|removed|cleared|smoke grenades|"
                           r"stun grenades|nonlethal|non-lethal|blocked by (?:the )?police|prevented (?:\w+ ){0,2}from)\b",
                           re.IGNORECASE)
_CROWD_VICTIMS = re.compile(r"\b(?:protesters?|demonstrators?|people|civilians|persons?|participants|students|residents)"
                            r"\b[^.;]{0,40}\b(?:killed|died|dead|wounded|injured|hurt|shot)\b|\b(?:killed|killing|"
                            r"wounded|wounding|injured|injuring|shot)\s+(?:\w+\s+){0,3}(?:protesters?|demonstrators?|"
                            r"people|participants|students)", re.IGNORECASE)
_FORCE_NEAR = re.compile(_FORCE, re.IGNORECASE)


_SUPPRESSED = re.compile(r"\b(?:violently|brutally|forcibly|excessive force|lethal force|live fire|crackdown|"
                         r"cracked down|died from gunfire|shot dead|killed)\b", re.IGNORECASE)
_PASSIVE_INTERVENTION = re.compile(r"\b(?:were|was|have been|has been|had been|being) (?:\w+ ){0,2}?(?:detained|arrested|"
                                   r"dispersed|removed|suppressed|broken up|blocked|prevented|evicted)\b|"
                                   r"\bsuppress(?:ed|ing)\b", re.IGNORECASE)
_CROWD_VIOLENCE = re.compile(r"\b(?:violen(?:t|ce)|clash(?:ed|es)|running battles|stone-?throwing|aggressive|scuffles?|"
                             r"debris|mayhem|chaos)\b", re.IGNORECASE)


def _demonstration(sentence: str) -> tuple[str, str] | None:
    """The protest or riot sub-type of a sentence about a crowd, or None when no crowd is there: force that kills or
    brutalises the crowd; a crowd that fights, burns or smashes; a crowd dispersed or detained; else peaceful."""
    m = _CROWD.search(sentence)
    if m is None:
        return None
    if re.search(r"\briot(?:s|ers|ing|ed)?\b", sentence, re.IGNORECASE) and not _FORCE_NEAR.search(sentence):
        return "Riots", "Violent demonstration"
    force = _FORCE_NEAR.search(sentence) is not None
    # the crowd's own shooting, not shots it took ("protesters were killed")
    crowd_fires = re.search(r"\b(?:protesters?|demonstrators?|rioters?|crowds?) (?:(?!(?:were|was|been|being|are|is)\b)"
                            r"\w+ ){0,2}(?:opened fire|shot|killed)",
                            sentence, re.IGNORECASE)
    if not crowd_fires and (force and (_EXCESSIVE.search(sentence) or _CROWD_VICTIMS.search(sentence)) or
                            _SUPPRESSED.search(sentence) and _PASSIVE_INTERVENTION.search(sentence) or
                            re.search(r"\b(?:violently|brutally) (?:suppress|attack|disperse|beat)\w*", sentence,
                                      re.IGNORECASE) or
                            re.search(r"\b(?:protesters?|demonstrators?) (?:\w+ ){0,3}(?:died|were killed|killed)\b",
                                      sentence, re.IGNORECASE)):
        return "Protests", "Excessive force against protesters"
    if _RIOTING.search(sentence) or _CROWD_VIOLENCE.search(sentence):
        return "Riots", "Violent demonstration"
    if (force or _PASSIVE_INTERVENTION.search(sentence)) and \
            (_INTERVENTION.search(sentence) or _PASSIVE_INTERVENTION.search(sentence)):
        return "Protests", "Protest with intervention"
    return "Protests", "Peaceful protest"


# -- weapons found or seized: a disrupted weapons use, whatever operation or raid found them ---------------

_WEAPON = (r"(?:weapons?|arms|guns?|pistols?|firearms?|rifles?|revolvers?|muskets?|carbines?|kalashnikovs?|AK-?47s?|"
           r"machine[- ]?guns?|ammunitions?|ammo|munitions|rounds|bullets|cartridges|magazines|explosives?|"
           r"explosive devices?|IEDs?|bombs?|grenades?|mines|rockets?|missiles?|mortars?|projectiles?|RPGs?|"
           r"caches?|stash(?:es)?|arsenals?|suicide vests?|detonators?|bomb-making)")
_SEIZE = r"(?:seiz(?:ed|ing|ure)|confiscat\w+|discover\w*|found|recover(?:ed|y)|intercept\w*|defus\w+|impounded|" \
         r"unearthed|uncovered|identified|destroyed|dismantled|handed over|turned in|surrendered)"
_SEIZURE = re.compile(r"\b" + _SEIZE + r"\b(?:[^.;]{0,80}?)\b" + _WEAPON + r"\b|\b" + _WEAPON +
                      r"\b[^.;]{0,80}?\b(?:was|were|has been|have been|had been|being)\s+(?:\w+\s+){0,2}?" + _SEIZE +
                      r"\b|\b(?:arms|weapons?|ammunition) caches?\b|\bcaches? of (?:\w+ ){0,2}" + _WEAPON,
                      re.IGNORECASE)
_USED = re.compile(r"\b(?:killed|killing|dead|died|wounded|injured|injuring|exploded|explosion|blast|detonated|"
                   r"went off|hurled|lobbed|threw|fired|attack(?:ed|s)?)\b", re.IGNORECASE)


def seizure(sentence: str) -> re.Match[str] | None:
    """Weapons found, seized or handed in, with nobody hurt and nothing set off in the sentence."""
    m = _SEIZURE.search(sentence)
    if m is None or _USED.search(sentence) or _ARREST.search(sentence):
        return None  # people detained with the weapons: the arrest is the event (or the fighting is)
    return m


def _state_took(sentence: str, at: int) -> bool:
    """Whether the side that took the territory (the last actor named before the verb) is a state's forces: "Syrian
    government forces captured five villages" is the government regaining territory, as ACLED codes it."""
    found = default_actor_book().find(sentence[:at])
    return bool(found) and found[-1].side in ("state", "foreign")


_RETAKE = re.compile(r"(?:retook|recaptured|regained|took back|wrested)\b", re.IGNORECASE)


def _nonstate_took(sentence: str, m: re.Match[str]) -> bool:
    """Whether an armed group, not the state, is the subject that retook a place ("al-Shabab militants recaptured
    the village from government forces"): ACLED codes that as the non-state actor overtaking territory."""
    if not _RETAKE.match(m.group(0)):
        return False
    found = default_actor_book().find(sentence[:m.start()])
    return bool(found) and found[-1].side not in ("state", "foreign")


def classify(sentence: str) -> Trigger | None:
    found = seizure(sentence)
    if found is not None and not attribution(sentence, found.start()):
        return Trigger("Strategic developments", "Disrupted weapons use", found.start(), found.end(), found.group(0),
                       _RANK["Disrupted weapons use"])
    demo = _demonstration(sentence)
    for rank, (etype, sub, rx) in enumerate(_COMPILED):
        m = rx.search(sentence)
        if not m:
            continue
        # a crowd that protests against a curfew, or throws projectiles, is the demonstration
        thrown = sub == "Shelling/artillery/missile attack" and m.group(0).lower().startswith("projectile") or \
            sub == "Change to group/activity"
        if demo is not None and (etype in ("Battles", "Violence against civilians", "Protests", "Riots") or
                                 sub in ("Arrests", "Looting/property destruction", "Grenade") or thrown):
            # a crowd's sentence: the police firing on it, or its stones, are the demonstration's sub-type
            return Trigger(demo[0], demo[1], m.start(), m.end(), m.group(0), _RANK[demo[1]])
        if sub == "Non-state actor overtakes territory" and _DENIAL.search(sentence[:m.start()]):
            continue  # "denied the Taliban had captured the city": a disputed claim, not a takeover
        if sub == "Non-state actor overtakes territory" and _state_took(sentence, m.start()):
            etype, sub = "Battles", "Government regains territory"
        elif sub == "Government regains territory" and _nonstate_took(sentence, m):
            etype, sub = "Battles", "Non-state actor overtakes territory"
        if sub in ("Change to group/activity", "Looting/property destruction") and rank < _RANK["Armed clash"] and \
                _KILLED.search(sentence):
            continue
        if etype == "Explosions/Remote violence" and sub not in ("Air/drone strike", "Chemical weapon") and \
                (_NOT_AN_ATTACK.search(sentence[max(0, m.start() - 80):m.start()]) or
                 _SEIZED_AFTER.match(sentence, m.end())):
            continue
        if sub == "Armed clash" and _OPERATION_ONLY.fullmatch(m.group(0)) and _ARREST.search(sentence) and \
                not _KILLED.search(sentence) and not _COMPILED[rank][2].search(sentence, m.end()):
            continue  # "detained two suspects during an operation": the operation is the arrest
        if not_an_event(sentence, sub) or attribution(sentence, m.start()):
            return None
        if sub in ("Arrests", "Looting/property destruction") and _KILLED.search(sentence) or \
                sub == "Disrupted weapons use" and _KILLED.search(sentence) and \
                (rank > 6 or m.group(0).lower().startswith(("defus", "diffus"))):
            # "5 militants were killed and 4 arrested": the arrests are part of the fighting
            return Trigger("Battles", "Armed clash", m.start(), m.end(), m.group(0), rank)
        return Trigger(etype, sub, m.start(), m.end(), m.group(0), rank)
    if demo is not None:
        crowd = _CROWD.search(sentence)
        if crowd is not None:
            return Trigger(demo[0], demo[1], crowd.start(), crowd.end(), crowd.group(0), _RANK[demo[1]])
        return Trigger(demo[0], demo[1], 0, 0, "", _RANK[demo[1]])
    return None


# -- one-sided violence: an armed side and people who are not one ------------------------------------

_PERSON = (r"(?:man|men|woman|women|person|persons|people|civilians?|victims?|drivers?|family|families|boys?|girls?|"
           r"child|children|teenagers?|youths?|residents?|workers?|merchants?|businessm[ae]n|couple|passengers?|"
           r"farmers?|villagers?|shopkeepers?|vendors?|worshippers|students?|teachers?|journalists?|relatives?|"
           # where unarmed people are: "gunmen opened fire on a teahouse", "armed men attacked two villages"
           r"population|villages?|hotels?|mosques?|churches|church|teahouses?|caf[eé]s?|restaurants?|markets?|"
           r"schools?|hospitals?|(?:commercial |passenger )?planes?|bus|buses|shops?|stores?|homes?|houses?)")
_PERSON_TARGET = re.compile(
    r"\b(?:attack(?:ed|ing)|shot|shooting|kill(?:ed|ing)|stabb(?:ed|ing)|beat(?:en|ing)?|target(?:ed|ing)|against|"
    r"murder(?:ed|ing)|execut(?:ed|ing)|opened fire (?:on|at)|fired (?:on|at))\s+(?:\w+\s+){0,3}?" + _PERSON + r"\b"
    r"|\b(?:man|men|woman|women|person|people|bod(?:y|ies)|remains|heads?|corpses?)\b[^.;]{0,40}?\b(?:was|were|had "
    r"been|have been) (?:found|discovered|located|recovered|dumped|left)\b", re.IGNORECASE)
_ARMED_SIDES = ("nonstate", "identity", "state", "foreign", "militia")


def one_sided(trigger: Trigger, texts: list[str], sides: list[str | None], hurt_sides: list[str | None]) -> Trigger:
    """An armed clash needs two armed sides. Violence by one armed side (or by nobody named) on people who are not
    one ("armed men attacked a man", "a body was found") is violence against civilians: ACLED's Attack."""
    if trigger.sub_event_type != "Armed clash":
        return trigger
    armed = {s for s in sides if s in _ARMED_SIDES}
    if len(armed) > 1 or any(s in _ARMED_SIDES for s in hurt_sides):
        return trigger
    if not any(_PERSON_TARGET.search(t) for t in texts):
        return trigger
    return Trigger("Violence against civilians", "Attack", trigger.start, trigger.end, trigger.text, trigger.rank)


# -- fire returned: one side's shelling answered by the other is a battle ---------------------------------

_RECIPROCAL = re.compile(r"\b(?:exchang(?:ed|ing|e of) (?:\w+ ){0,2}(?:fire|artillery|shells|shelling|gunfire|rockets)|"
                         r"respond(?:ed|ing) (?:to the (?:fire|attack|shelling)|by firing|with (?:fire|artillery))|"
                         r"fired back|returned fire|retaliated|clash(?:ed|es)|fighting|gun ?battles?|firefights?)\b",
                         re.IGNORECASE)


def reciprocal(trigger: Trigger, texts: list[str]) -> Trigger:
    """Shelling that the other side answered ("fired mortar shells at them; they responded to the fire") is an
    armed clash, as ACLED codes an exchange in which both sides fire."""
    if trigger.sub_event_type != "Shelling/artillery/missile attack" or not any(_RECIPROCAL.search(t) for t in texts):
        return trigger
    return Trigger("Battles", "Armed clash", trigger.start, trigger.end, trigger.text, trigger.rank)
