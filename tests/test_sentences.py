"""Sentence splitting (services/extract/sentences.py): character spans into the original text."""

from __future__ import annotations

import csv

import pytest

from services.extract.sentences import split_sentences
from tests.conftest import shared_path


def _texts(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def _assert_well_formed(text: str, spans: list[tuple[int, int]]) -> None:
    """Spans lie inside the text, in order, never overlap, are never empty and carry no outer whitespace."""
    last_end = 0
    for s, e in spans:
        assert 0 <= last_end <= s < e <= len(text), (text, spans)
        assert not text[s].isspace() and not text[e - 1].isspace(), (text, text[s:e])
        last_end = e


def test_spans_point_into_the_original_text():
    text = "Gunmen attacked a checkpoint. Two soldiers died! Who fired first? Nobody knows."
    spans = split_sentences(text)
    assert spans == [(0, 29), (30, 48), (49, 65), (66, 79)]
    assert _texts(text) == ["Gunmen attacked a checkpoint.", "Two soldiers died!", "Who fired first?",
                            "Nobody knows."]


def test_a_boundary_needs_a_capital_or_a_digit_after_it():
    assert _texts("The toll rose to 5. officials said more may die.") == [
        "The toll rose to 5. officials said more may die."]
    assert _texts("Five were killed. 10 more were wounded.") == ["Five were killed.", "10 more were wounded."]


@pytest.mark.parametrize("text,sentences", [
    # paragraphs a scraper joined without a space
    ("Troops left.Then they returned.", ["Troops left.", "Then they returned."]),
    ('police said."We heard a blast," he said.', ["police said.", '"We heard a blast," he said.']),
    ("in Helmand Province, Afghanistan.They killed 23 soldiers.Twenty insurgents died.",
     ["in Helmand Province, Afghanistan.", "They killed 23 soldiers.", "Twenty insurgents died."]),
    # no boundary: an abbreviation, initials, a number, a capital that starts no word
    ("The U.S.Army said so.", ["The U.S.Army said so."]),
    ("J.R.Smith was hurt.", ["J.R.Smith was hurt."]),
    ("The toll was 3.5 percent.", ["The toll was 3.5 percent."]),
    ("Visit the site.ORG now.", ["Visit the site.ORG now."]),
])
def test_paragraphs_glued_without_a_space_are_split(text, sentences):
    assert _texts(text) == sentences


@pytest.mark.parametrize("text,sentences", [
    ("Gen. Abdi Hassan said the raid was over. Troops left.",
     ["Gen. Abdi Hassan said the raid was over.", "Troops left."]),
    ("The U.S. Army said it struck a base. Officials confirmed it.",
     ["The U.S. Army said it struck a base.", "Officials confirmed it."]),
    ("The U.N. Mission condemned the attack. It called for calm.",
     ["The U.N. Mission condemned the attack.", "It called for calm."]),
    ("The attack began at 9 a.m. Monday and ended at 4 p.m. Tuesday. Police left.",
     ["The attack began at 9 a.m. Monday and ended at 4 p.m. Tuesday.", "Police left."]),
    ("Mr. Ali and Dr. Noor met Lt. Col. Omar. They spoke.", ["Mr. Ali and Dr. Noor met Lt. Col. Omar.", "They spoke."]),
    ("A blast hit St. Mary church on 3 Sept. 2020. Nobody died.",
     ["A blast hit St. Mary church on 3 Sept. 2020.", "Nobody died."]),
])
def test_a_full_stop_after_an_abbreviation_is_not_a_boundary(text, sentences):
    assert _texts(text) == sentences


@pytest.mark.parametrize("text,sentences", [
    ("J. R. Smith was killed. The police said so.", ["J. R. Smith was killed.", "The police said so."]),
    ("Witness A. Mohamed saw the gunmen. He fled.", ["Witness A. Mohamed saw the gunmen.", "He fled."]),
])
def test_a_full_stop_after_an_initial_is_not_a_boundary(text, sentences):
    assert _texts(text) == sentences


@pytest.mark.parametrize("text,second", [
    ('He said "we are done." Then he left.', "Then he left."),
    ("“We will fight.” Officials said so.", "Officials said so."),
    ("He shouted 'stop!' Police fired.", "Police fired."),
    ("The toll rose (officials said.) Then it fell.", "Then it fell."),
    ('Troops left the town. "We won," a commander said.', '"We won," a commander said.'),
    ("Troops left the town. “We won,” a commander said.", "“We won,” a commander said."),
])
def test_quotes_and_brackets_around_a_boundary(text, second):
    sentences = _texts(text)
    assert len(sentences) == 2 and sentences[1] == second


@pytest.mark.xfail(strict=True, reason="BUG: a closing quote or bracket after the full stop belongs to no span: "
                                       "the span ends at the mark, the next starts after the quote")
@pytest.mark.parametrize("text,first", [
    ('He said "we are done." Then he left.', 'He said "we are done."'),
    ("“We will fight.” Officials said so.", "“We will fight.”"),
    ("The toll rose (officials said.) Then it fell.", "The toll rose (officials said.)"),
])
def test_a_closing_quote_after_the_full_stop_ends_the_sentence(text, first):
    spans = split_sentences(text)
    assert text[spans[0][0]:spans[0][1]] == first
    # nothing but whitespace is left between sentences
    assert all(not text[a[1]:b[0]].strip() for a, b in zip(spans, spans[1:], strict=False))


@pytest.mark.parametrize("text,sentences", [
    ("Somalia: troops retake town\nTroops entered Jowhar on Monday. Residents fled.",
     ["Somalia: troops retake town", "Troops entered Jowhar on Monday.", "Residents fled."]),
    ("first line\nsecond line", ["first line", "second line"]),
    ("One paragraph.\n\n\nAnother paragraph", ["One paragraph.", "Another paragraph"]),
    ("Windows lines.\r\nNext line.", ["Windows lines.", "Next line."]),
    ("Ends with the U.S.\n\nnew paragraph", ["Ends with the U.S.", "new paragraph"]),
])
def test_a_line_break_is_a_boundary(text, sentences):
    assert _texts(text) == sentences


@pytest.mark.xfail(strict=True, reason="BUG: a line break after an abbreviation is no boundary when the next line "
                                       "starts with a capital (it is one when it starts in lower case)")
@pytest.mark.parametrize("text,sentences", [
    ("Troops leave the U.S.\nSecond paragraph here.", ["Troops leave the U.S.", "Second paragraph here."]),
    ("Statement by the Gen.\nThe raid was over.", ["Statement by the Gen.", "The raid was over."]),
])
def test_a_line_break_after_an_abbreviation_is_a_boundary(text, sentences):
    assert _texts(text) == sentences


def test_spans_are_trimmed_of_whitespace():
    text = "   Hello there.   \t Next one!  \n  And?  "
    spans = split_sentences(text)
    assert _texts(text) == ["Hello there.", "Next one!", "And?"]
    _assert_well_formed(text, spans)


@pytest.mark.parametrize("text", ["", "   ", "\n\n", " \t\r\n "])
def test_blank_text_has_no_sentences(text):
    assert split_sentences(text) == []


def test_a_text_without_a_final_mark_is_one_sentence():
    assert split_sentences("Troops entered the town on Monday") == [(0, 33)]


def test_real_acled_notes_give_ordered_trimmed_disjoint_spans_the_same_every_time():
    notes = []
    for path in sorted(shared_path("data", "acled-world").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            notes += [row["Notes"] for row in csv.DictReader(f)]
    assert len(notes) > 1000
    split = 0
    for note in notes:
        spans = split_sentences(note)
        _assert_well_formed(note, spans)
        assert split_sentences(note) == spans
        assert spans, note
        split += len(spans) > 1
    assert split > len(notes) // 2  # the notes are mostly several sentences: the splitter does split them
