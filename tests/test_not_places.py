"""The names that are not places (services/extract/not_places.py, data/not_places.yaml)."""

from __future__ import annotations

from services.extract.not_places import not_places


def test_the_three_lists_are_read_in_lower_case():
    names = not_places()
    assert {"middle east", "white house"} <= names["regions"]
    assert {"mr", "president", "minister"} <= names["titles"]
    assert all(w == w.lower() for lst in names.values() for w in lst)


def test_words_yaml_would_read_as_booleans_stay_words():
    assert {"on", "in", "west", "monday"} <= not_places()["leads"]
