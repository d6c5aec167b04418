"""Sub-event types from trigger phrases (services/extract/classify.py)."""

import pytest

from services.extract.classify import classify


@pytest.mark.parametrize("sentence,sub", [
    ("A bomb planted on the road killed three soldiers near Chaman.", "Remote explosive/landmine/IED"),
    ("Insurgents shelled the army garrison overnight.", "Shelling/artillery/missile attack"),
    ("Two guards died when an RPG struck their truck.", "Shelling/artillery/missile attack"),
    ("A mine the group was laying detonated prematurely near the bridge.", "Disrupted weapons use"),
    ("One fighter died as he was planting a device on the highway.", "Disrupted weapons use"),
    ("Border police discovered and seized 40 kilograms of explosives in a lorry.", "Disrupted weapons use"),
    ("The fighters stormed and overtook two police outposts on Friday.",
     "Non-state actor overtakes territory"),
    ("Afghan forces recaptured the district centre on Sunday.", "Government regains territory"),
    ("Gunmen ambushed a supply convoy on the ring road.", "Armed clash"),
    ("Commandos killed nine insurgents in a night raid.", "Armed clash"),
    ("Eleven fighters died in air strikes on their hideout.", "Air/drone strike"),
    ("Local officials said a commander sexually assaulted a teenager.", "Sexual violence"),
    ("Insurgents destroyed the only bridge linking the valley to the city.", "Looting/property destruction"),
    ("A suicide bomber blew himself up near the gate.", "Suicide bomb"),
])
def test_sub_event_types(sentence, sub):
    trig = classify(sentence)
    assert trig is not None and trig.sub_event_type == sub, trig


def test_arrests_in_a_deadly_operation_are_part_of_the_fighting():
    trig = classify("Seven fighters were killed and two arrested in the sweep.")
    assert trig.sub_event_type == "Armed clash"
    assert classify("Police arrested two suspects in Kabul.").sub_event_type == "Arrests"


def test_weapons_found_or_described_are_not_explosions():
    # a cache of grenades and what a wanted man "is responsible for" are not attacks
    assert classify("The force found 20 grenades and a mortar in the compound.") is None or \
        classify("The force found 20 grenades and a mortar in the compound.").event_type != \
        "Explosions/Remote violence"
    described = classify("The leader is responsible for coordinating IED attacks in the district.")
    assert described is None or described.event_type != "Explosions/Remote violence"


@pytest.mark.parametrize("sentence,sub", [
    ("Police seized nine pistols and 1,100 rounds of ammunition during a raid on two homes.", "Disrupted weapons use"),
    ("An arms cache containing hand grenades was discovered near the border.", "Disrupted weapons use"),
    ("Hundreds of demonstrators marched through the capital demanding new elections.", "Peaceful protest"),
    ("Police fired tear gas to disperse protesters outside parliament.", "Protest with intervention"),
    ("Security forces opened fire on protesters, killing four.", "Excessive force against protesters"),
    ("Protesters threw stones at police and set cars on fire.", "Violent demonstration"),
    ("A mob lynched a man accused of theft in the market.", "Mob violence"),
    ("The two sides signed a ceasefire agreement in the capital.", "Agreement"),
    ("The militants established a new base near the river.", "Headquarters or base established"),
    ("Government troops were seen regrouping near the town.", "Change to group/activity"),
    ("Rebels used chlorine gas against the neighbourhood.", "Chemical weapon"),
    # civilians blocking a road or making demands together protest; an armed group handing out aid changes its activity
    ("Taxi drivers blocked the main road into the city over new fares.", "Peaceful protest"),
    ("Hospital workers demanded the payment of three months' wages.", "Peaceful protest"),
    ("Members of the cartel distributed food packages to families in the town.", "Change to group/activity"),
])
def test_the_whole_acled_taxonomy(sentence, sub):
    trig = classify(sentence)
    assert trig is not None and trig.sub_event_type == sub, trig


@pytest.mark.parametrize("sentence", [
    "A powerful earthquake struck the region, killing at least 40 people.",
    "Six workers were killed when a chemical plant exploded on Thursday.",
    "The striker scored twice as the home side won the league match.",
    "Russia denied its planes were responsible for air strikes on the hospital.",
    "Customs officers arrested three men for smuggling drugs across the border.",
    "Troops blocked the road to the base.",
])
def test_what_acled_does_not_code_gets_no_trigger(sentence):
    assert classify(sentence) is None


@pytest.mark.parametrize("sentence,sub", [
    # the state took the place: the government regains territory, whatever verb says so
    ("Syrian government forces captured five villages in the country's northwest.", "Government regains territory"),
    ("The Somali National Army has seized control of Toratorow town.", "Government regains territory"),
    ("Iraqi security forces on Wednesday freed several villages from the militants.", "Government regains territory"),
    ("The Taliban seized control of three districts, officials said.", "Non-state actor overtakes territory"),
    # a side that left a place to the other, or a ceasefire or an exchange that ends fighting
    ("Rebels entered the town and took control of parts of it after Kurdish forces pulled out.",
     "Non-violent transfer of territory"),
    ("Government forces and rebels have agreed a fragile ceasefire after the worst fighting in decades.", "Agreement"),
    ("Rebels and government forces exchanged prisoners and dead fighters near the city.", "Agreement"),
    # a weapon filled with poison is a chemical weapon, whatever fired it
    ("The rebels fired projectiles stuffed with poisonous gas on the neighbourhood.", "Chemical weapon"),
    ("Dozens suffered from asphyxia caused by the use of poisonous gas by militants.", "Chemical weapon"),
])
def test_territory_agreements_and_chemical_weapons(sentence, sub):
    trig = classify(sentence)
    assert trig is not None and trig.sub_event_type == sub, trig


@pytest.mark.parametrize("sentence", [
    # falling back to a place the side still holds hands nothing over
    "Security forces withdrew to a base outside the district after running short of ammunition.",
    "The soldiers retreated towards their positions near the airport.",
    "Government troops pulled back into the city.",
])
def test_a_side_falling_back_to_its_own_base_is_no_handover(sentence):
    trig = classify(sentence)
    assert trig is None or trig.sub_event_type != "Non-violent transfer of territory", trig


@pytest.mark.parametrize("sentence,sub", [
    # a crowd's thrown projectiles and burned tyres are a violent demonstration, not shelling
    ("Demonstrators threw rocks and other projectiles at the police line.", "Violent demonstration"),
    ("People cut off roads and burned tires in response to the deterioration of services.", "Violent demonstration"),
    # a crowd protesting against a curfew is a protest, not a change to group activity
    ("People in the town protested against the imposition of a curfew.", "Peaceful protest"),
    # protesters killed by the force are not a crowd that fired
    ("More than 35 protesters were killed when soldiers broke up a sit-in.", "Excessive force against protesters"),
])
def test_what_a_crowd_did_or_suffered(sentence, sub):
    trig = classify(sentence)
    assert trig is not None and trig.sub_event_type == sub, trig


def test_fighters_alone_are_no_fighting():
    assert classify("The group has shifted its fighters to the northern provinces.") is None
    assert classify("Army commanders say they pushed extremists back from the suburbs.") is None


@pytest.mark.parametrize("sentence,sub", [
    # an armed group that retook a place overtakes territory; the state that retook one regains it
    ("Al Shabaab militants recaptured the coastal town hours after it was seized by government troops.",
     "Non-state actor overtakes territory"),
    ("Rebel fighters retook a strategic town from government forces on Thursday.", "Non-state actor overtakes territory"),
    ("Afghan forces retook the district centre from the militants.", "Government regains territory"),
    # forces moved, formed or reinforced with nobody hurt: a change to group activity, not the offensive it prepares
    ("The army has dispatched hundreds of soldiers and vehicles to the border ahead of an offensive.",
     "Change to group/activity"),
    ("A senior rebel commander has defected with his fighters amid the operation.", "Change to group/activity"),
    ("The group is mobilizing its members for attacking the district.", "Change to group/activity"),
    # ... but the same movement with people killed is the fighting
    ("Troops dispatched to the town clashed with rebels, and five soldiers were killed.", "Armed clash"),
    # a post, a checkpoint or barracks set up, whatever counts it
    ("The army has set up its 11th observation point in the province.", "Headquarters or base established"),
    ("Foreign troops have established a military checkpoint near the city.", "Headquarters or base established"),
])
def test_who_retook_a_place_and_forces_that_moved(sentence, sub):
    trig = classify(sentence)
    assert trig is not None and trig.sub_event_type == sub, trig


@pytest.mark.parametrize("sentence,sub", [
    # shops looted after an attack, nobody hurt: the looting is the event
    ("Hoodlums attacked the residents and looted many houses and shops in the area.", "Looting/property destruction"),
    ("Gunmen attacked the village and looted shops, killing two traders.", "Armed clash"),
    # rioters are a crowd, whoever they clash with
    ("Rioters clashed with police along the peace line on Wednesday.", "Violent demonstration"),
])
def test_looting_and_rioters(sentence, sub):
    trig = classify(sentence)
    assert trig is not None and trig.sub_event_type == sub, trig


@pytest.mark.parametrize("sentence", [
    "A demonstrator throws a fence into a fire during a protest against police action.",
    "Anti-government protesters pull down concrete walls leading to the parliament during a demonstration.",
])
def test_a_crowd_that_throws_or_pulls_down_riots(sentence):
    trig = classify(sentence)
    assert trig is not None and trig.sub_event_type == "Violent demonstration", trig
