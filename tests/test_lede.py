"""The lede of an article: its event leads, with the toll the lede states."""

from __future__ import annotations

from datetime import UTC, datetime

from services.common.contracts import Event, Evidence
from services.extract.extractor import RuleExtractor, story_from_text
from services.extract.lede import ARTICLE_SENTENCES, headline_apart, lede_event, lede_first, stated_toll
from services.extract.sentences import split_sentences

_BASE = RuleExtractor().extract(story_from_text("A bomb killed 5 people in Kabul on Sunday.",
                                                datetime(2021, 8, 8, tzinfo=UTC)))[0]
_STARTS = [i * 100 for i in range(ARTICLE_SENTENCES)]


def _event(start: int, confidence: float, fatalities: int = 5, casualties: bool = True) -> Event:
    ev = Evidence(text=f"sentence at {start}", start=start, end=start + 50)
    claims = [c.model_copy(update={"statement": ev.text}) for c in _BASE.claims]
    return _BASE.model_copy(update={"evidence": [ev], "confidence": confidence, "fatalities": fatalities,
                                    "casualties": _BASE.casualties if casualties else [],
                                    "claims": claims if casualties else []})


def test_the_lede_event_is_raised_to_the_top_confidence():
    lede, later = _event(0, 0.65), _event(400, 0.9)
    out = lede_first([lede, later], _STARTS)
    assert [e.confidence for e in out] == [0.9, 0.9]
    assert out[1] is later


def test_a_short_story_has_no_lede_to_raise():
    events = [_event(0, 0.65), _event(200, 0.9)]
    assert lede_event(events, _STARTS[:ARTICLE_SENTENCES - 1]) is None
    assert lede_first(events, _STARTS[:ARTICLE_SENTENCES - 1]) == events


def test_an_event_first_reported_after_the_lede_is_not_raised():
    events = [_event(300, 0.65), _event(400, 0.9)]
    assert lede_first(events, _STARTS) == events


def test_a_lede_event_without_casualty_figures_or_too_vague_does_not_lead():
    assert lede_event([_event(0, 0.65, casualties=False), _event(400, 0.9)], _STARTS) is None
    assert lede_event([_event(0, 0.5), _event(400, 0.9)], _STARTS) is None


def test_the_lede_toll_is_not_lowered_by_the_figures_further_down():
    lede = _event(0, 0.95, fatalities=2)
    assert stated_toll(lede, _STARTS) == 5
    [out] = lede_first([lede], _STARTS)
    assert out.fatalities == 5
    assert stated_toll(_event(300, 0.95), _STARTS) == 0


def test_an_article_whose_lede_reports_the_attack_leads_with_it():
    text = ("A car bomb killed 12 people in Kandahar province, officials said. "
            "The blast destroyed several shops. Police cordoned off the area. "
            "Residents said the market had been busy. "
            "In April, 30 soldiers were killed in an ambush in Lashkar Gah city of Helmand province on April 3. "
            "No group has claimed the attack. The Taliban denied involvement.")
    events = RuleExtractor().extract(story_from_text(text, datetime(2021, 5, 10, 8, tzinfo=UTC)))
    top = max(e.confidence for e in events)
    best = next(e for e in events if e.confidence == top)
    assert best.admin1 == "Kandahar" and best.fatalities == 12


def test_a_lede_sentence_shared_by_events_at_several_places_names_none_of_them():
    farah, kandahar, later = _event(0, 0.65), _event(0, 0.65), _event(400, 0.9)
    kandahar = kandahar.model_copy(update={"admin1": "Kandahar", "evidence": farah.evidence + [later.evidence[0]]})
    farah = farah.model_copy(update={"admin1": "Farah"})
    assert lede_event([farah, kandahar, later], _STARTS) is None


def test_a_headline_glued_to_the_wire_dateline_is_a_sentence_of_its_own():
    text = ("7 militants killed in blasts in AfghanistanKANDAHAR, Afghanistan, Oct. 3 (Xinhua) -- Seven Taliban "
            "militants were killed in two explosions. Police confirmed it.")
    parts = [text[s:e] for s, e in headline_apart(text, split_sentences(text))]
    assert parts[:2] == ["7 militants killed in blasts in Afghanistan",
                         "KANDAHAR, Afghanistan, Oct. 3 (Xinhua) -- Seven Taliban militants were killed in two explosions."]
    [event] = RuleExtractor().extract(story_from_text(text, datetime(2020, 10, 4, 8, tzinfo=UTC)))
    assert event.fatalities == 7


def test_a_dateline_after_a_space_or_further_down_is_left_alone():
    text = "KABUL, Afghanistan (Dec. 9) -- Forces detained 3 men. Later, in KANDAHAR, Afghanistan, Oct. 3 (AP) -- more."
    spans = split_sentences(text)
    assert headline_apart(text, spans) == spans
