"""What ACLED does not code, and sentences about an event rather than reports of one.

A sentence about a natural or industrial disaster, an accident, a disease or sport, or an arrest for ordinary
crime, is no ACLED event (``not_an_event``); nor is a claim or denial of responsibility or diplomacy that names
violence without reporting it (``attribution``). Both depend on the sentence alone. A sentence that names an
armed or political actor, or a specific weapon, is kept.
"""

from __future__ import annotations

import re

# -- what ACLED does not code ----------------------------------------------------------------------

_NON_EVENT = re.compile(
    r"\b(?:earthquakes?|quakes?|tremors?|floods?|flooding|flash floods|landslides?|mudslides?|cyclones?|hurricanes?|"
    r"typhoons?|tornado(?:es)?|storms?|torrential rains?|heavy rains?|downpours?|droughts?|wildfires?|forest fires?|"
    r"bushfires?|avalanches?|tsunamis?|volcan\w+|heat ?waves?|lightning|monsoon|"
    r"accidents?|accidental(?:ly)?|crash(?:ed|es)?|collisions?|collided|derail\w*|capsi[sz]ed|sank|ran aground|"
    r"(?:building|bridge|mine|roof|wall) collapse[ds]?|collapsed|gas (?:leak\w*|explosion|cylinder)|leakage|boilers?|"
    r"short[- ]circuit|electrical fault|stampede|fire broke out|caught fire|drowned|drowning|food poisoning|"
    r"poisoning|toxins?|consum(?:ed|ing)|contaminated|overdose|"
    r"(?:chemical|power|industrial|fertili[sz]er|gas|oil|nuclear|treatment|cement|steel|iron|petrochemical) "
    r"(?:plants?|works|factory|facility)|factory|factories|warehouse|refinery|furnace|pipeline|fireworks|"
    r"(?:gas|oil|fuel) (?:tanks?|tankers?|containers?|station)|cooking gas|cylinders?|firefighters|blaze|"
    r"chemicals|solvents|combustible|ammonium nitrate|"
    r"covid(?:-19)?|coronavirus|cases|outbreaks?|cholera|ebola|measles|epidemics?|pandemics?|infections?|infected|"
    r"virus|vaccin\w+|heart attack|cardiac|natural causes|illness|disease|"
    r"football|soccer|cricket|rugby|tennis|basketball|tournament|league|championship|World Cup|Olympic\w*|"
    r"goals?|striker|midfielder|coach|matches|semi-?finals?|quarter-?finals?|wicket\w*|innings)\b",
    re.IGNORECASE)
# what makes a sentence about a disaster or crime still political violence
_POLITICAL = re.compile(
    r"\b(?:militants?|insurgents?|rebels?|jihadists?|terror\w*|Taliban|Shabaa?b|Islamic State|ISIS|ISIL|Daesh|"
    r"Boko Haram|Houthis?|gunm[ae]n|armed (?:men|groups?)|militia\w*|air ?strikes?|shell(?:ing|ed)|suicide|"
    r"bomb(?:er|ers|ing|ings)|IEDs?|explosive devices?|insurgency|protest\w*|demonstrat\w+|riot\w*|"
    r"assassinat\w+|cartels?|opened fire|shot dead|gunfire|sabotage)\b", re.IGNORECASE)
# ordinary crime: arrests for it are not political
_CRIME = re.compile(r"\b(?:smuggl\w+|traffick\w+|drugs?|narcotics?|cocaine|heroin|fraud\w*|corruption|embezzl\w+|"
                    r"brib\w+|theft|thie(?:f|ves)|robber(?:y|ies|s)?|burglar\w*|stolen|poach\w+|counterfeit\w*|"
                    r"illegal(?:ly)? (?:immigra\w+|migra\w+|fishing|mining|logging|crossing)|migrants|tried to flee|"
                    r"scam\w*|money laundering|tax evasion|speeding|drunk)\b", re.IGNORECASE)
_ARMED_ACTOR = re.compile(r"\b(?:militants?|insurgents?|rebels?|jihadists?|terror\w*|Taliban|Shabaa?b|Islamic State|"
                          r"ISIS|ISIL|Daesh|Boko Haram|Houthis?|extremists?|protest\w*|demonstrat\w+|activists?|"
                          r"journalists?|opposition|dissidents?|separatists?|spies|espionage|coup|IEDs?|explosives|"
                          r"weapons|gang members|cartel)\b", re.IGNORECASE)
# weak triggers: words that report violence only with a political context around them
_WEAK = {"Remote explosive/landmine/IED", "Armed clash", "Looting/property destruction", "Attack"}


# a claim or denial of who did it: the sentence is about the attribution, not a report of the event
_ATTRIBUTION = re.compile(r"\b(?:claim(?:ed|s|ing)? responsibility|(?:was|were|is|are) (?:not )?responsible|"
                          r"den(?:y|ied|ies|ying) (?:\w+ ){0,4}?(?:responsib\w+|involvement|involved|its|their|that|"
                          r"carrying)|rejected (?:the )?(?:accusations?|allegations?|claims?|reports?)|"
                          r"accus(?:ed|ing|ation) \w+ (?:\w+ ){0,3}?of|blamed|holding \w+ (?:\w+ ){0,3}?responsible)\b",
                          re.IGNORECASE)
# diplomacy: sanctions, expulsions, summits and appeals that name violence without reporting it
_DIPLOMACY = re.compile(r"\b(?:sanctions?|diplomats?|expel(?:s|led|ling)?|expulsions?|embass(?:y|ies)|ambassadors?|"
                        r"foreign minist\w+|summit|urged?|urges|pledge[sd]?|condemn\w*|resolutions?|nuclear tests?)\b",
                        re.IGNORECASE)


def attribution(sentence: str, at: int) -> bool:
    """Whether the trigger at ``at`` is the object of a claim or denial of responsibility, or of diplomacy."""
    head = sentence[:at]
    return bool(_ATTRIBUTION.search(head) or (_DIPLOMACY.search(sentence) and not _POLITICAL.search(sentence)))


def not_an_event(sentence: str, sub_event_type: str | None) -> bool:
    """A sentence about a disaster, accident, disease or sport, or an arrest for ordinary crime: ACLED codes none
    of these. A sentence that names an armed or political actor, or a specific weapon, is kept."""
    if sub_event_type == "Arrests":
        return bool(_CRIME.search(sentence)) and not _ARMED_ACTOR.search(sentence)
    if sub_event_type is not None and sub_event_type not in _WEAK:
        return False
    return bool(_NON_EVENT.search(sentence)) and not _POLITICAL.search(sentence)
