"""The default extractor on the real seed articles, against the hand-coded gold events."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from services.extract.extractor import RuleExtractor, story_from_text
from services.extract.gazetteer import default_gazetteer
from services.extract.sentences import split_sentences
from tests.conftest import shared_path


def _gold():
    return json.loads(shared_path("gold", "seed-events.json").read_text(encoding="utf-8"))


def _extract(story: dict):
    text = shared_path("seeds", f"{story['story']}.txt").read_text(encoding="utf-8")
    published = datetime.fromisoformat(story["published"]).replace(hour=6, tzinfo=UTC)
    return RuleExtractor().extract(story_from_text(text, published, story["outlet"], story["story"]))


def _matches(event, gold: dict) -> bool:
    tolerance = 1 if gold["date_precision"] == "day" else 4
    return (event.admin1 == gold["admin1"] and event.sub_event_type == gold["sub_event_type"]
            and abs((event.event_date - date.fromisoformat(gold["event_date"])).days) <= tolerance)


@pytest.mark.parametrize("index", range(5))
def test_required_events_are_found(index):
    story = _gold()["stories"][index]
    events = _extract(story)
    missing = [g for g in story["events"] if g["required"] and not any(_matches(e, g) for e in events)]
    assert not missing, [(g["admin1"], g["sub_event_type"], g["event_date"]) for g in missing]


@pytest.mark.parametrize("index", range(5))
def test_no_event_comes_from_background(index):
    story = _gold()["stories"][index]
    published = date.fromisoformat(story["published"])
    for event in _extract(story):
        assert (published - event.event_date).days <= 8, (event.admin1, event.event_date)
        assert not any(str(y) in ev.text for ev in event.evidence for y in range(1990, published.year)), \
            event.evidence


def test_every_event_carries_evidence_with_offsets_into_the_text():
    story = _gold()["stories"][1]
    text = shared_path("seeds", f"{story['story']}.txt").read_text(encoding="utf-8")
    for event in _extract(story):
        assert event.evidence and 0 < event.confidence <= 1
        for ev in event.evidence:
            assert text[ev.start:ev.end] == ev.text


def test_event_ids_are_deterministic():
    story = _gold()["stories"][0]
    assert [e.event_id for e in _extract(story)] == [e.event_id for e in _extract(story)]


def test_xinhua_claims_and_conservative_fatalities():
    events = _extract(_gold()["stories"][1])
    archi = next(e for e in events if e.admin2 == "Dasht-e-Archi")
    assert archi.event_date == date(2020, 1, 29)
    soldiers = [c for c in archi.casualties if c.group == "Military Forces of Afghanistan" and c.kind == "killed"]
    assert {c.min for c in soldiers} >= {13, 30}  # both sides' figures kept as separate claims
    assert any(c.verified is None for c in archi.claims)


@pytest.mark.parametrize("surface,district", [
    ("Dashti Archi", "Dasht-e-Archi"), ("Puli Khumri", "Pul-e-Khumri"), ("Shibirghan", "Shiberghan"),
    ("Kondoz", "Kunduz"),
])
def test_spelling_variants_resolve_to_one_place(surface, district):
    gaz = default_gazetteer()
    places = {p.admin2 for m in gaz.find(f"Fighting in {surface} continued.") for p in m.candidates}
    assert district in places


def test_sentence_splitting_keeps_abbreviations():
    text = "KABUL, Jan. 29 (Xinhua) -- More than 20 died. Officials said Wednesday."
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["KABUL, Jan. 29 (Xinhua) -- More than 20 died.",
                                             "Officials said Wednesday."]


# -- casualty figures and one-paragraph reports (invented text in the style of wire summaries) ------

def _figures(sentence):
    from services.extract.actors import default_actor_book
    from services.extract.casualties import casualty_figures
    # these wire-style sentences are Afghan: generic groups are named for Afghanistan
    return [(c.group, c.kind, c.min) for c in casualty_figures(sentence, default_actor_book(), country="AF")]


@pytest.mark.parametrize("sentence,expected", [
    # the digits of a date are not a death toll
    ("On 14 May 2021, gunmen attacked a checkpoint, killing 3 policemen.",
     [("Police Forces of Afghanistan", "killed", 3)]),
    # the verb before the figure decides, the rest of the list inherits it
    ("Insurgents hit a police post, killing 2 policemen and 4 Taliban fighters.",
     [("Police Forces of Afghanistan", "killed", 2), ("Taliban", "killed", 4)]),
    # a listed group shares the verb after the list; an elided group refers back
    ("7 soldiers and 2 policemen were killed and 5 were wounded.",
     [("Military Forces of Afghanistan", "killed", 7), ("Police Forces of Afghanistan", "killed", 2),
      ("Police Forces of Afghanistan", "wounded", 5)]),
    # "3 army posts" counts posts, not people; "an army patrol" is not one dead soldier
    ("The militants attacked 3 army posts and an army patrol, killing 6 soldiers.",
     [("Military Forces of Afghanistan", "killed", 6)]),
    # a part of a whole is not added to it
    ("11 militants including 3 commanders were killed in the raid.", [("Taliban", "killed", 11)]),
    # ambiguous: killed or wounded
    ("Nine insurgents were killed or wounded.", []),
    ("Commandos detained a Taliban leader and two of his associates.",
     [("Taliban", "captured", 1), ("Taliban", "captured", 2)]),
])
def test_casualty_figures(sentence, expected):
    assert _figures(sentence) == expected


# press-release phrasing (invented sentences): people counted by role, by name and along with others
@pytest.mark.parametrize("sentence,expected", [
    ("Police detained the targeted commander along with four of his associates.",
     [("Taliban", "captured", 1), ("Taliban", "captured", 4)]),
    ("The patrol detained a Taliban organiser and financier near the bazaar.",
     [("Taliban", "captured", 1), ("Taliban", "captured", 1)]),
    ("Troops killed Mullah Karim, a Taliban district commander, along with a few other fighters.",
     [("Taliban", "killed", 1), ("Taliban", "killed", 3)]),
    ("Two men were taken into custody by the soldiers.", [("Taliban", "captured", 2)]),
    ("The individual found with the explosives was detained.", [("Taliban", "captured", 1)]),
    ("Soldiers returned fire, killing one and wounding two others.",
     [("Taliban", "killed", 1), ("Taliban", "wounded", 2)]),
    ("Commandos detained an Islamic Movement of Uzbekistan (IMU) organiser.",
     [("Islamic Movement of Uzbekistan", "captured", 1)]),
    # people an armed group takes are not counted by role ...
    ("Gunmen abducted two men at a wedding.", []),
    # ... but the people it kills are: the dead of a one-sided attack are civilians, as ACLED counts them
    ("Gunmen killed two men at a wedding.", [("Civilians (Afghanistan)", "killed", 2)]),
])
def test_casualty_figures_by_role(sentence, expected):
    assert _figures(sentence) == expected


def _total(sentences, kind="captured"):
    from services.extract.actors import default_actor_book
    from services.extract.casualties import casualty_figures, conservative_total
    pairs = [(c, s) for s in sentences for c in casualty_figures(s, default_actor_book(), country="AF")]
    return conservative_total(pairs, kind)


def test_a_written_number_wins_over_a_named_person_or_a_vague_word():
    assert _total(["Police arrested a Taliban commander in the village.",
                   "They detained the commander and three of his associates."]) == 4
    assert _total(["Soldiers detained several suspected militants.",
                   "Soldiers detained two suspected militants."]) == 2


def test_additional_people_add_up_unless_restated():
    assert _total(["Police arrested a Taliban commander.", "They also detained two suspected insurgents."]) == 3
    assert _total(["Police arrested a Taliban commander.", "Two other insurgents were detained."]) == 3
    # the first report of a kind is not "additional" to anything, even when it says "also"
    assert _total(["Police arrested a Taliban commander.", "Four insurgents were also killed.",
                   "Troops returned fire, killing four insurgents."], "killed") == 4
    assert _total(["Two Taliban organisers and two other militants were captured by police.",
                   "Two other insurgents were also captured."]) == 4


def test_arrests_during_an_operation_are_one_arrest_event():
    text = ("On 3 March 2021, police captured a Taliban commander during an operation in Khanabad district, Kunduz "
            "province. The force also detained two suspected insurgents during the operation.")
    events = RuleExtractor().extract(story_from_text(text, datetime(2021, 3, 4, 8, tzinfo=UTC)))
    from services.extract.casualties import event_total
    assert [e.sub_event_type for e in events] == ["Arrests"]
    assert event_total(events[0], "captured") == 3


def test_a_sentence_about_several_provinces_does_not_give_each_its_total():
    text = ("On 3 March 2021, police detained more than 10 suspected insurgents in Kunduz and Takhar provinces. "
            "In Kunduz, a police unit detained three suspected insurgents in Khanabad district.")
    events = RuleExtractor().extract(story_from_text(text, datetime(2021, 3, 4, 8, tzinfo=UTC)))
    from services.extract.casualties import event_total
    totals = {e.admin1: event_total(e, "captured") for e in events}
    assert totals["Kunduz"] == 3
    assert totals["Takhar"] == 10


def test_fatalities_add_up_within_a_sentence_and_take_the_lowest_report_across_sentences():
    text = ("On 3 March 2021, 1 policeman and 4 local policemen were killed in Chahar Dara district, Kunduz. "
            "Officials later said 3 policemen had been killed. The Taliban claimed 20 policemen were killed.")
    events = RuleExtractor().extract(story_from_text(text, datetime(2021, 3, 4, 8, tzinfo=UTC)))
    assert len(events) == 1
    assert events[0].fatalities == 3  # 5 in one report, 3 in another: the lower; the Taliban claim is kept apart
    assert any(c.min == 20 for c in events[0].casualties)


def test_one_paragraph_report_resolves_date_place_type_and_actors():
    text = ("As reported on 9 May 2021, over the past 24 hours, 6 Taliban militants were killed by Afghan "
            "forces airstrikes in Baharak district, Takhar.")
    [event] = RuleExtractor().extract(story_from_text(text, datetime(2021, 5, 10, 8, tzinfo=UTC)))
    assert (event.event_date, event.date_precision) == (date(2021, 5, 8), "day")
    assert (event.admin1, event.admin2) == ("Takhar", "Baharak")
    assert event.sub_event_type == "Air/drone strike"
    assert (event.actor1.name, event.actor2.name) == ("Military Forces of Afghanistan", "Taliban")
    assert event.fatalities == 6


def test_civilian_victims_make_an_attack_on_civilians():
    text = "On 2 April 2021, gunmen shot and killed 4 civilians in Khanabad district, Kunduz."
    [event] = RuleExtractor().extract(story_from_text(text, datetime(2021, 4, 3, 8, tzinfo=UTC)))
    assert (event.event_type, event.sub_event_type) == ("Violence against civilians", "Attack")
    assert event.actor2.name == "Civilians (Afghanistan)"


def test_victims_choose_the_government_counterpart():
    text = "On 2 April 2021, Taliban militants attacked a police post, killing 2 policemen, in Nahrin district."
    [event] = RuleExtractor().extract(story_from_text(text, datetime(2021, 4, 3, 8, tzinfo=UTC)))
    assert {event.actor1.name, event.actor2.name} == {"Taliban", "Police Forces of Afghanistan"}


# -- casualty attribution: invented sentences, one per pattern -------------------------------------------------------

def _one_event(text: str):
    events = RuleExtractor().extract(story_from_text(text, datetime(2020, 9, 14, 8, tzinfo=UTC)))
    assert events, text
    return max(events, key=lambda e: e.confidence)


@pytest.mark.parametrize("sentence,fatalities", [
    # an actor naming a thing is not a person: the strike, the tunnel, the posts
    ("On 12 September 2020, 7 Taliban fighters were killed in a NATO air strike in Nerkh district, Wardak.", 7),
    ("On 12 September 2020, 3 Taliban militants were killed and a Taliban ammunition depot was destroyed in "
     "Nerkh district, Wardak.", 3),
    ("On 12 September 2020, 9 Taliban militants were killed by 3 Afghan Air Force strikes in Nerkh district, "
     "Wardak.", 9),
    # ... but a thing followed by a person only modifies that person ("an IED maker")
    ("On 12 September 2020, Afghan commandos killed a Taliban IED maker in Nerkh district, Wardak.", 1),
])
def test_an_actor_naming_a_thing_is_not_a_person(sentence, fatalities):
    assert _one_event(sentence).fatalities == fatalities


@pytest.mark.parametrize("sentence,fatalities", [
    pytest.param("On 12 September 2020, 10 Taliban militants including 3 commanders were killed by Afghan "
                 "army strikes in Nerkh district, Wardak.",
                 10, id="a_part_named_with_including_does_not_add_up"),
    pytest.param("On 12 September 2020, 3 civilians including 2 aid staff, 1 Afghan policeman and 2 Taliban "
                 "militants were killed in Dand district, Kandahar.",
                 6, id="a_part_of_another_side_after_including_is_counted"),
    pytest.param("On 12 September 2020, 2 policemen and 5 Taliban militants were killed 3 militants and 1 "
                 "policeman were wounded in clashes in Dand district, Kandahar.",
                 7, id="a_passive_verb_takes_no_object"),
    pytest.param("On 12 September 2020, an Afghan air force strike targeted a Taliban commander, killing him "
                 "and 3 other militants, in Nerkh district, Wardak.",
                 4, id="a_pronoun_counts_the_person_just_named"),
    pytest.param("On 12 September 2020, 1 policeman was killed when 2 gunmen on a motorbike shot and killed "
                 "him in Dand district, Kandahar.",
                 1, id="a_pronoun_for_a_person_already_counted_does_not_add"),
])
def test_who_a_figure_counts(sentence, fatalities):
    assert _one_event(sentence).fatalities == fatalities


def test_a_sentence_naming_two_places_of_one_district_counts_its_figures_once():
    event = _one_event("On 12 September 2020, 5 Afghan border policemen were killed and 6 were wounded when their "
                       "vehicle hit a roadside bomb near Torkham in Momand Dara district, Nangarhar.")
    assert event.fatalities == 5
    assert sorted((c.kind, c.min) for c in event.casualties) == [("killed", 5), ("wounded", 6)]


def test_a_figure_takes_the_kind_of_its_own_verb():
    event = _one_event("On 12 September 2020, 11 Taliban militants were killed and and 4 others were wounded by "
                       "Afghan commandos in Dand district, Kandahar.")
    assert event.fatalities == 11
    assert ("wounded", 4) in {(c.kind, c.min) for c in event.casualties}


@pytest.mark.parametrize("sentence,fatalities", [
    # a group's single office holder, with no number written
    ("On 12 September 2020, the Taliban's shadow district chief for Nerkh and 4 commanders were killed by Afghan "
     "army strikes in Nerkh district, Wardak.", 5),
    ("On 12 September 2020, Dand district police chief was killed and 2 policemen were wounded in a Taliban "
     "ambush in Dand district, Kandahar.", 1),
    ("On 12 September 2020, the head of police intelligence for the district was killed by Taliban gunmen in "
     "Dand district, Kandahar.", 1),
    # people named by their occupation or family
    ("On 12 September 2020, 3 engineers building a dam were killed by Taliban militants in Dand district, "
     "Kandahar.", 3),
    ("On 12 September 2020, Taliban militants killed 1 judge and a provincial official in Dand district, "
     "Kandahar.", 2),
    ("On 12 September 2020, 1 Taliban militant and 2 of his brothers were killed when their bomb went off "
     "early in Dand district, Kandahar.", 3),
    ("On 12 September 2020, 2 security guards of a local trader were killed by gunmen in Dand district, "
     "Kandahar.", 2),
    # ... but not a person described again, nor a breakdown of a figure already given
    ("On 12 September 2020, 1 civilian who was a school teacher was killed by gunmen in Dand district, "
     "Kandahar.", 1),
    ("On 12 September 2020, 5 civilians, 3 women and 2 children, were killed by a mortar round in Dand district, "
     "Kandahar.", 5),
    # a figure after "when" belongs to the new clause
    ("On 12 September 2020, 1 soldier was wounded when 3 Taliban militants attacked a post in Dand district, "
     "Kandahar.", 0),
    # abducted, then killed: the last is the person's fate
    ("On 12 September 2020, 1 policeman was abducted and killed by Taliban militants in Dand district, "
     "Kandahar.", 1),
])
def test_people_counted_without_an_actor_before_their_figure(sentence, fatalities):
    assert _one_event(sentence).fatalities == fatalities


def test_up_to_n_is_a_ceiling_and_the_only_figure_given():
    event = _one_event("On 12 September 2020, up to 30 Taliban militants were killed by Afghan commandos in "
                       "Dand district, Kandahar.")
    [c] = [c for c in event.casualties if c.kind == "killed"]
    assert (c.min, c.max, c.lower_bound) == (0, 30, False)  # no floor stated
    assert event.fatalities == 30


def test_militants_own_claims_do_not_count():
    event = _one_event("On 12 September 2020, 2 soldiers were killed in clashes in Dand district, Kandahar. "
                       "The militants claimed to have killed 15 soldiers.")
    assert event.fatalities == 2


def test_a_lone_surrogate_in_the_text_is_replaced_not_a_crash():
    # "\ud800" reaches us from JSON's "\\ud800" escape or a bad character reference: it cannot be
    # encoded as UTF-8, so the content hash, the Story's JSON and every later stage would fail on it
    story = story_from_text("\ud800 A bomb killed 5 people in Kabul on Sunday.", datetime(2021, 8, 8, tzinfo=UTC))
    assert "\ud800" not in story.text and story.text.startswith("\ufffd")
    assert len(story.content_hash) == 64
    assert story.model_dump_json().encode("utf-8")
    events = RuleExtractor().extract(story)
    assert events and events[0].fatalities == 5


def _one(text: str, published: datetime = datetime(2021, 5, 8, 8, tzinfo=UTC)):
    [event] = RuleExtractor().extract(story_from_text(text, published))
    return event


def test_a_clash_of_two_named_sides_stays_a_clash_when_men_died():
    event = _one("On 7 May 2021, in Celaya, Guanajuato, armed men clashed with police officers. Two men died.")
    assert event.sub_event_type == "Armed clash" and event.fatalities == 2
    assert {event.actor1.name, event.actor2.name} == {"Unidentified Armed Group (Mexico)", "Police Forces of Mexico"}


def test_organised_crime_s_marks_anywhere_in_the_story_make_the_killers_a_gang():
    event = _one("On 7 May 2021, in Celaya, Guanajuato, a man was found dead. His hands were tied.")
    assert (event.actor1.name, event.actor2.name) == ("Unidentified Gang (Mexico)", "Civilians (Mexico)")
    assert event.fatalities == 1
    plain = _one("On 7 May 2021, in Celaya, Guanajuato, armed men shot a man.")
    assert plain.actor1.name == "Unidentified Armed Group (Mexico)"


def test_unnamed_fighters_are_no_third_party_when_two_of_the_country_s_sides_fight():
    event = _one("On 6 May 2021, National Resistance forces clashed with pro-Houthi forces in Hays district, "
                 "Al Hudaydah, killing two fighters.")
    assert {event.actor1.name, event.actor2.name} == {
        "National Resistance Forces", "Military Forces of Yemen (2016-) Supreme Political Council"}


def test_the_other_side_is_the_other_government_s_force_before_an_allied_militia():
    event = _one("On 3 May 2021, Amajid Brigade and Southern Resistance forces took control of two villages in "
                 "Mukayras district, Al Bayda, from pro-Houthi forces.")
    assert {event.actor1.name, event.actor2.name} == {
        "Military Forces of Yemen (2012-) Amajid Brigade", "Military Forces of Yemen (2016-) Supreme Political Council"}


@pytest.mark.parametrize("text,country,admin1", [
    # a village name the curated Afghan list also has, in a story about another country
    ("On 8 May 2020, Houthi forces reportedly opened fire on civilians in Qaryat ar Rahbah (Dimnat Khadir, "
     "Taizz), killing a woman.", "YE", "Taizz"),
    # an Afghan story that names a neighbour's forces stays Afghan
    ("Pakistani forces fired rockets into Dangam district of Kunar province, killing 2 civilians.", "AF", "Kunar"),
])
def test_the_curated_list_wins_only_in_stories_about_afghanistan(text, country, admin1):
    events = RuleExtractor().extract(story_from_text(text, datetime(2020, 5, 9, tzinfo=UTC)))
    assert events and events[0].country == country
    assert admin1.lower() in (events[0].admin1 or "").lower().replace("ā'", "a")


def test_an_event_outside_the_country_the_story_is_about_is_less_certain():
    text = ("A car bomb exploded at a police academy in Bogota and in Havana on Thursday. Police in Bogota and "
            "Medellin said the ELN was behind it.")
    events = RuleExtractor().extract(story_from_text(text, datetime(2019, 1, 18, tzinfo=UTC)))
    by_country = {e.country: e.confidence for e in events}
    assert {"CO", "CU"} <= by_country.keys()
    assert by_country["CO"] > by_country["CU"]  # Bogota and Medellin: the story is about Colombia


def test_in_a_deadly_story_an_event_with_no_casualties_is_less_certain():
    text = "Gunmen clashed with police in Kirkuk on Monday. A car bomb exploded in Mosul on Monday, killing 5 people."
    events = RuleExtractor().extract(story_from_text(text, datetime(2019, 1, 15, tzinfo=UTC)))
    by_place = {e.location: e for e in events}
    assert {"Kirkuk", "Mosul"} <= by_place.keys()
    assert by_place["Mosul"].fatalities == 5 and not by_place["Kirkuk"].casualties
    assert by_place["Mosul"].confidence > by_place["Kirkuk"].confidence
