"""The prefiltered alternation (services/extract/alternation.py): the literals a pattern needs, and matches that are
exactly the full alternation's (same spans, same winning alternative), on the real actor patterns and real notes."""

from __future__ import annotations

import csv
import re
from functools import lru_cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.extract import alternation
from services.extract.actors import default_actor_book
from services.extract.alternation import Alternation, required_literals
from services.extract.sentences import split_sentences
from tests.conftest import shared_path


def _full(patterns: list[str]) -> re.Pattern[str]:
    """The alternation as one regex, every alternative tried: what ``Alternation`` must give, only faster."""
    return re.compile(r"(?<![\w])(?:" + "|".join(f"(?P<a{i}>{p})" for i, p in enumerate(patterns)) + r")(?![\w])",
                      re.IGNORECASE)


def _matches(found) -> list[tuple[tuple[int, int], str | None]]:
    return [(m.span(), m.lastgroup) for m in found]


@lru_cache(maxsize=1)
def _actor_patterns() -> tuple[str, ...]:
    """The alternatives of the real actor book (data/*.yaml and the demonyms), one per actor entry."""
    parts = default_actor_book()._regex._parts  # "(?P<a12>...)"
    patterns = []
    for i, part in enumerate(parts):
        head = f"(?P<a{i}>"
        assert part.startswith(head) and part.endswith(")"), part[:40]
        patterns.append(part[len(head):-1])
    return tuple(patterns)


@lru_cache(maxsize=1)
def _note_sentences() -> tuple[str, ...]:
    """Every 16th sentence of the real ACLED notes of Somalia, Mexico and Yemen (about 360)."""
    sentences = []
    for path in sorted(shared_path("data", "acled-world").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                note = row["Notes"]
                sentences += [note[s:e] for s, e in split_sentences(note)]
    return tuple(sentences[::16])


# -- the literals a pattern needs -------------------------------------------------------------------

@pytest.mark.parametrize("pattern,literals", [
    ("Al Shabaab", {"al shabaab"}),
    (r"(?:Afghan |government )forces", {"afghan ", "government "}),
    (r"polic(?:e|emen)|gendarmes?", {"police", "gendarme"}),
    (r"Houthis?|Ansar Allah", {"houthi", "ansar allah"}),
    (r"(?:the )?police", {"police"}),  # an optional part is not needed
    (r"al[- ]Shabaab", {"shabaab"}),
    (r"U\.S\. troops", {"u.s. troops"}),
    (r"gunm[ae]n", {"gunm"}),
    (r"(?:Taliban)+", {"taliban"}),  # a part repeated at least once is needed
    (r"(?-i:US) forces", {" forces"}),
    (r"ISLAMIC State", {"islamic state"}),  # lower-cased
    (r"police\s+headquarters", {"headquarters"}),  # of several needed literals, the longest filters best
])
def test_required_literals(pattern, literals):
    assert required_literals(pattern) == literals


@pytest.mark.parametrize("pattern", [
    r"\d+",  # no literal at all
    r"(?:ab|police)",  # one branch has only a short literal: no useful filter
    r"xy",  # shorter than three characters
    r"(?:police)?",  # nothing is needed
    r"(?:police)*on",  # "on" is too short, and the repeated part may be absent
    r"(",  # not a pattern
])
def test_no_required_literals(pattern):
    assert required_literals(pattern) is None


def test_every_match_contains_one_of_its_literals():
    for pattern in _actor_patterns()[:200]:
        literals = required_literals(pattern)
        if literals is None:
            continue
        rx = re.compile(pattern, re.IGNORECASE)
        for text in ("Al Shabaab fighters attacked Somali National Army troops and AMISOM forces",
                     "Houthi forces shelled Saudi-led coalition positions as police and gendarmes watched"):
            for m in rx.finditer(text):
                assert any(lit in m.group(0).lower() for lit in literals), (pattern, m.group(0), literals)


# -- the same matches as the full alternation ------------------------------------------------------

def test_real_actor_patterns_on_real_notes_give_the_full_alternation_s_matches():
    patterns = list(_actor_patterns())
    sentences = _note_sentences()
    assert len(patterns) > 500 and len(sentences) > 300
    fast, full = Alternation(patterns), _full(patterns)
    found = 0
    winners: set[str] = set()
    for i, sentence in enumerate(sentences):
        variants = [sentence, sentence.upper()] if i % 5 == 0 else [sentence]
        for text in variants:
            expected = _matches(full.finditer(text))
            assert _matches(fast.finditer(text)) == expected, text
            found += len(expected)
            winners |= {g for _span, g in expected}
    assert found > 300 and len(winners) > 30  # the sample does exercise many alternatives


@pytest.mark.parametrize("patterns,text", [
    # two alternatives at the same position: the earlier one wins, as in the full alternation
    (["police", "police officers"], "Police officers were attacked"),
    (["police officers", "police"], "Police officers were attacked"),
    # an alternative that fails the word boundary lets a later one match at the same position
    (["police", "policemen"], "two policemen died"),
    # an alternative without a literal is always tried, before or after filtered ones
    ([r"\d+", "soldiers?"], "12 soldiers and 3 police"),
    (["soldiers?", r"[A-Z]\w+ militia"], "Dir militia fought soldiers"),
    # case: the filter is lower-cased, the match case-insensitive
    (["Al Shabaab", "AMISOM"], "AL SHABAAB attacked amisom bases"),
    # an alternative whose literal occurs in the text but which does not match there
    (["police station", "police"], "the police said"),
    # no alternative can match
    (["Al Shabaab", "AMISOM"], "nothing to see here"),
    (["Houthis?|Ansar Allah", "coalition"], "Ansar Allah and the coalition; Houthi fighters"),
])
def test_small_alternations_give_the_full_alternation_s_matches(patterns, text):
    assert _matches(Alternation(patterns).finditer(text)) == _matches(_full(patterns).finditer(text))


def test_lastgroup_names_the_alternative_by_its_index():
    patterns = ["Al Shabaab", r"\d+ soldiers", "AMISOM"]
    assert _matches(Alternation(patterns).finditer("AMISOM and Al Shabaab: 4 soldiers")) == [
        ((0, 6), "a2"), ((11, 21), "a0"), ((23, 33), "a1")]


def test_an_alternative_without_a_literal_is_always_tried():
    fast = Alternation([r"\d+", "Al Shabaab"])
    assert _matches(fast.finditer("42")) == [((0, 2), "a0")]
    assert _matches(fast.finditer("no digits")) == []


def _scanned(fast: Alternation, text: str) -> tuple[int, ...]:
    """The active set by testing every literal against the text: what the literals' index must give."""
    low = text.lower().replace("\u0307", "").replace("ı", "i").replace("ſ", "s")
    active = set(fast._always)
    for lit, alts in fast._by_literal.items():
        if lit in low:
            active.update(alts)
    return tuple(sorted(active))


def test_the_literals_index_activates_what_testing_every_literal_does_on_real_notes():
    fast = Alternation(list(_actor_patterns()))
    sentences = _note_sentences()
    assert sum(len(_scanned(fast, s)) > len(fast._always) for s in sentences) > 200  # the sample activates many
    for i, sentence in enumerate(sentences):
        for text in ([sentence, sentence.upper(), sentence[1:], sentence[:-1]] if i % 5 == 0 else [sentence]):
            assert fast._active(text) == _scanned(fast, text), text


@pytest.mark.parametrize("text,matches", [
    ("ISIS", [((0, 4), "a1")]),  # a literal that is the whole text
    ("ISI", []),  # as long as the index's heads, and no literal in it
    ("of ISIS", [((3, 7), "a1")]),  # a literal that ends the text
    ("Al Shabaab", [((0, 10), "a0")]),
    ("Al", []),  # shorter than any literal
    ("IED", [((0, 3), "a2")]),  # a literal as short as the index's heads
    ("an IED", [((3, 6), "a2")]),  # ... that ends the text
])
def test_a_literal_anywhere_in_a_text_of_any_length_activates_its_alternative(text, matches):
    assert _matches(Alternation(["Al Shabaab", "ISIS", "IED"]).finditer(text)) == matches


@pytest.mark.parametrize("patterns,text", [
    (["police"], "POLİCE officers"),
    (["Diyarbakir"], "clashes in Diyarbakır"),
    (["Islamic State"], "İslamic State fighters"),
])
def test_case_folding_beyond_str_lower_gives_the_full_alternation_s_matches(patterns, text):
    expected = _matches(_full(patterns).finditer(text))
    assert expected  # re itself matches these case-insensitively
    assert _matches(Alternation(patterns).finditer(text)) == expected


# -- the cache of compiled regexes -----------------------------------------------------------------

@pytest.fixture
def compiles(monkeypatch) -> list[str]:
    """The patterns ``alternation`` compiles while a test runs."""
    seen: list[str] = []
    real = re.compile

    def counting(pattern, flags=0):
        seen.append(pattern)
        return real(pattern, flags)

    monkeypatch.setattr(alternation.re, "compile", counting)
    return seen


def test_each_alternative_is_compiled_once_whatever_the_sets_it_is_active_in(compiles):
    fast = Alternation(["Al Shabaab", "AMISOM", "Houthi"])
    texts = ("Al Shabaab", "AMISOM", "Al Shabaab and AMISOM", "Houthi and AMISOM", "Al Shabaab, AMISOM and Houthi")
    for text in texts:  # five different active sets
        assert list(fast.finditer(text))
    assert len(compiles) == 3 and all(p.count("(?P<a") == 1 for p in compiles)
    for text in texts:
        assert list(fast.finditer(text))
    assert len(compiles) == 3


def test_a_text_no_alternative_can_match_compiles_nothing(compiles):
    fast = Alternation(["Al Shabaab", "AMISOM"])
    assert list(fast.finditer("nothing here")) == []
    assert list(fast.finditer("nothing here either")) == []
    assert compiles == []


# -- alternatives that can match the empty string ----------------------------------------------------

_EMPTY = r"(?:\d+ )?"  # always active (no literal), and it matches empty between two non-word characters


@pytest.mark.parametrize("text", ["police, - and 12 soldiers", "- -", "", "Al Shabaab"])
def test_an_alternative_that_can_match_empty_gives_the_full_alternation_s_matches(text):
    patterns = ["police", _EMPTY, r"\d+ soldiers?", "Al Shabaab"]
    assert _matches(Alternation(patterns).finditer(text)) == _matches(_full(patterns).finditer(text))


def test_sets_with_an_empty_matching_alternative_are_cached_bounded_most_recently_used(compiles):
    fast = Alternation([_EMPTY, "Al Shabaab", "AMISOM", "Houthi"], cache_size=2)
    for text in ("Al Shabaab", "AMISOM", "Al Shabaab", "Houthi", "Al Shabaab"):
        assert list(fast.finditer(text))
    # "AMISOM" was the least recently used when "Houthi" came: "Al Shabaab" is still cached
    assert len(compiles) == 3
    assert list(fast.finditer("AMISOM"))
    assert len(compiles) == 4


_ALTERNATIVES = ["police", "police officers", r"\d+ soldiers?", "al[- ]Shabaab", r"(?:the )?army", "forces",
                 r"[A-Z]\w+ militia", "army forces", r"polic(?:e|emen)", "officers"]
_WORDS = ["police", "Police", "officers", "policemen", "12", "soldiers", "soldier", "al-Shabaab", "Al Shabaab",
          "the", "army", "forces", "Dir", "militia", "and", ",", "-", "x", "POLICE", "Army"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_ALTERNATIVES), min_size=1, max_size=6, unique=True),
       st.lists(st.sampled_from(_WORDS), max_size=14), st.sampled_from([" ", "", "  "]))
def test_any_small_alternation_gives_the_full_alternation_s_matches(patterns, words, sep):
    text = sep.join(words) if sep else "".join(w + (" " if i % 2 else "") for i, w in enumerate(words))
    assert _matches(Alternation(patterns).finditer(text)) == _matches(_full(patterns).finditer(text))


def test_an_alternative_overlapped_by_an_earlier_match_is_searched_again_after_it():
    # "police" inside the first match is skipped; its next match after that match is found
    patterns = ["armed police officers", "police"]
    text = "armed police officers and police"
    assert _matches(Alternation(patterns).finditer(text)) == _matches(_full(patterns).finditer(text)) == [
        ((0, 21), "a0"), ((26, 32), "a1")]


@pytest.mark.parametrize("text", ["Somali and somali troops", "SOMALI", "South Sudanese and Sudanese", "somalia"])
def test_a_case_sensitive_alternation_gives_the_full_case_sensitive_alternation_s_matches(text):
    patterns = ["Somali", "South Sudanese|South Sudan", "Sudanese|Sudan", "Somalia"]
    full = re.compile(_full(patterns).pattern)  # the same alternation without IGNORECASE
    assert _matches(Alternation(patterns, case_sensitive=True).finditer(text)) == _matches(full.finditer(text))
    assert _matches(Alternation(patterns, case_sensitive=True).finditer("somali")) == []
