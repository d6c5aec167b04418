"""What ``q`` means (``search_terms``): its words whatever its punctuation, and the words of the
filters that narrow the text query."""

from __future__ import annotations

import pytest

from services.store import search_terms as search


def test_terms_are_the_words_of_the_query_whatever_its_punctuation():
    assert search.terms("Taliban  KUNDUZ") == ["taliban", "kunduz"]
    assert search.terms('"taliban" OR -kunduz* (NEAR:x)') == ["taliban", "or", "kunduz", "near", "x"]
    assert search.terms("Dasht-e-Archi dasht") == ["dasht", "e", "archi"]
    assert search.terms("Kündüz हिन्दी مقتل") == ["kündüz", "हिन्दी", "مقتل"]
    for nothing in ("", "  ", "\"'*:()-", "_ _"):
        with pytest.raises(search.BadSearch):
            search.terms(nothing)
    with pytest.raises(search.BadSearch):
        search.terms(" ".join(f"w{i}" for i in range(search.MAX_TERMS + 1)))


def test_filters_narrow_by_their_words_in_ascii_only():
    found = search.narrowing_words({"admin1": "Lashkar Gah", "actor": "Taliban", "country": None,
                                    "admin2": "Kündüz", "event_type": "Battles", "since": "2026-01-01"})
    assert found == {"admin1": ["lashkar", "gah"], "actor": ["taliban"]}
    assert search.narrowing_words({"admin1": "--"}) == {}  # no word: the filter alone decides
    assert set(search.NARROWING) <= set(search.FIELDS)
