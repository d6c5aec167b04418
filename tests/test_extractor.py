"""The default extractor on the real seed articles, against the hand-coded gold events."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from services.extract.extractor import RuleExtractor, split_sentences, story_from_text
from services.extract.gazetteer import default_gazetteer
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
