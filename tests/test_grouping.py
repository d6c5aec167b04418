"""Grouping sentences into draft events (services/extract/grouping.py), through the extractor on invented text."""

from __future__ import annotations

from datetime import UTC, datetime

from services.extract.extractor import RuleExtractor, story_from_text
from services.extract.grouping import UNKNOWN_PLACE, Draft, draft_date, group

PUBLISHED = datetime(2021, 8, 10, 12, tzinfo=UTC)


def _events(text: str):
    return RuleExtractor().extract(story_from_text(text, PUBLISHED))


def test_a_takeover_and_a_handover_without_fighting_at_one_place_are_one_event():
    events = _events("The Taliban captured the city of Aibak on Monday. Militants entered Aibak, the capital of "
                     "Samangan, without fighting after elders urged the troops to leave.")
    samangan = [e for e in events if e.admin1 == "Samangan"]
    assert [e.sub_event_type for e in samangan] == ["Non-violent transfer of territory"]
    assert len(samangan[0].evidence) == 2


def test_a_province_sentence_joins_the_district_event_of_that_province():
    events = _events("Taliban fighters attacked a checkpoint in Dasht-e-Archi district of Kunduz province on "
                     "Monday. The fighting in Kunduz went on overnight.")
    assert [(e.admin1, e.admin2) for e in events] == [("Kunduz", "Dasht-e-Archi")]
    assert len(events[0].evidence) == 2


def test_casualties_without_a_verb_of_violence_join_the_event_at_their_place():
    events = _events("Taliban fighters attacked a checkpoint in Dasht-e-Archi district of Kunduz province on "
                     "Monday. Five policemen were killed in Dasht-e-Archi.")
    assert len(events) == 1 and events[0].fatalities == 5


def test_violence_at_no_known_place_is_one_event_of_unknown_place():
    events = _events("Gunmen stormed a wedding hall in Qwertyville on Monday, officials said. "
                     "The attackers opened fire on the guests.")
    assert len(events) == 1
    e = events[0]
    assert e.country is None and e.latitude is None and e.geo_precision is None


def test_background_sentences_give_no_draft_and_dates_come_from_the_place_sentence():
    infos = RuleExtractor().analyse("Taliban fighters attacked a checkpoint in Dasht-e-Archi district of Kunduz "
                                    "province on Monday.", PUBLISHED.date())
    drafts = group(infos, [], PUBLISHED.date())
    assert len(drafts) == 1
    (draft,) = drafts.values()
    assert draft_date(draft, PUBLISHED.date()) == (datetime(2021, 8, 9).date(), "day")
    infos[0].background = True
    assert group(infos, [], PUBLISHED.date()) == {}


def test_a_sentence_joins_a_draft_once():
    infos = RuleExtractor().analyse("Taliban fighters attacked a checkpoint in Kunduz.", PUBLISHED.date())
    d = Draft(UNKNOWN_PLACE, infos[0].trigger)
    d.add(infos[0])
    d.add(infos[0])
    assert len(d.sentences) == 1


def test_a_sentence_about_who_did_it_gives_its_figures_to_the_event_at_its_place():
    text = ("A car bomb exploded at a police academy in Bogota on Thursday. "
            "On Friday, Colombia blamed the ELN for the bombing in Bogota that killed 20 people.")
    [event] = _events(text)
    assert event.fatalities == 20 and len(event.evidence) == 2


def test_a_sentence_about_who_did_it_drafts_no_event_of_its_own():
    assert _events("On Friday, Colombia blamed the ELN for the bombing in Bogota that killed 20 people.") == []
