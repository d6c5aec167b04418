"""The casualty vocabulary (services/extract/lexicon.py): one table of kind words and the regexes built from it."""

from __future__ import annotations

import pytest

from services.extract.lexicon import CASUALTY_ONLY, KIND, KIND_WORD, KINDS


def test_every_kind_word_maps_to_a_kind():
    assert KINDS == ("killed", "wounded", "captured")
    assert set(KIND_WORD.values()) == set(KINDS)
    assert all(word == word.lower().strip() and word for word in KIND_WORD)


@pytest.mark.parametrize("word,kind", [
    ("abducted", "captured"), ("abducting", "captured"), ("kidnapped", "captured"), ("taken hostage", "captured"),
    ("arrested", "captured"), ("detained", "captured"), ("in custody", "captured"),
    ("killed", "killed"), ("dead", "killed"), ("bodies", "killed"), ("lost their lives", "killed"),
    ("wounded", "wounded"), ("injured", "wounded"), ("hurt", "wounded"),
])
def test_a_word_counts_as_its_kind(word, kind):
    assert KIND_WORD[word] == kind


def test_there_is_one_regex_per_kind_in_order():
    assert [kind for kind, _rx in KIND] == list(KINDS)


@pytest.mark.parametrize("kind,rx", KIND, ids=[kind for kind, _ in KIND])
def test_a_kind_regex_matches_every_word_of_its_kind_and_none_of_another(kind, rx):
    for word, word_kind in KIND_WORD.items():
        if word_kind == kind:
            assert rx.fullmatch(word), (kind, word)
            assert rx.search(f"Three people were {word.upper()} on Monday"), (kind, word)  # any case
        else:
            assert rx.search(word) is None, (kind, word, word_kind)


@pytest.mark.parametrize("kind,text", [
    ("killed", "five civilians were killed"), ("killed", "the deaths of two soldiers"),
    ("wounded", "injuring three"), ("captured", "two aid workers were kidnapped"),
    ("captured", "were taken into custody"), ("captured", "militants were abducted"),
])
def test_a_kind_regex_finds_its_word_in_a_sentence(kind, text):
    assert dict(KIND)[kind].search(text)


@pytest.mark.parametrize("text", ["a skilled negotiator", "the deadline passed", "the killers fled",
                                  "a hostageless day", "a detainee list"])
def test_kind_regexes_match_whole_words_only(text):
    assert all(rx.search(text) is None for _kind, rx in KIND), text


@pytest.mark.parametrize("text", ["3 bodies were found", "two CASUALTIES were reported", "one man died",
                                  "the dead were buried", "a killing in the market", "five were injured",
                                  "2 fatalities and 1 injured", "1 fatality"])
def test_casualty_only_finds_people_hurt_without_a_verb_of_violence(text):
    assert CASUALTY_ONLY.search(text), text


@pytest.mark.parametrize("text", ["the deadline passed", "a skilled driver", "the bodyguard left",
                                  "police arrested two men", "the hostages were freed"])
def test_casualty_only_needs_a_whole_word_of_hurt(text):
    assert CASUALTY_ONLY.search(text) is None, text
