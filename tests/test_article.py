"""Story text bounded to its size limit, cut where a reader would cut it, and saying so."""

from __future__ import annotations

from services.ingest.article import bound_text

SENTENCE = "Fighters attacked a checkpoint in the district on Tuesday, officials said. "


def test_a_text_within_the_limit_is_unchanged():
    bounded = bound_text(SENTENCE * 3, 10_000)
    assert bounded.text == SENTENCE * 3 and not bounded.truncated and bounded.original_chars is None


def test_a_long_text_is_cut_at_a_sentence_end_and_says_how_long_it_was():
    text = SENTENCE * 100
    bounded = bound_text(text, 1000)
    assert bounded.truncated and bounded.original_chars == len(text)
    assert len(bounded.text) <= 1000 and bounded.text.endswith("officials said.")
    assert len(bounded.text) > 800  # the last sentence end within the limit, not an early one


def test_a_paragraph_break_is_preferred_and_a_text_without_sentences_is_cut_at_a_word():
    text = ("word " * 150).strip() + "\n\n" + "tail " * 100
    assert bound_text(text, 800).text == ("word " * 150).strip()
    words = "lorem ipsum " * 200
    cut = bound_text(words, 500).text
    assert len(cut) <= 500 and cut.split()[-1] in {"lorem", "ipsum"} and not cut.endswith(" ")


def test_a_text_with_no_boundary_is_cut_hard_at_the_limit():
    bounded = bound_text("x" * 5000, 1000)
    assert bounded.text == "x" * 1000 and bounded.original_chars == 5000


def test_a_date_before_datetime_min_in_utc_is_no_date():
    from services.ingest.article import parse_date

    assert parse_date("0001-01-01T00:00:00+05:00") is None  # astimezone(UTC) would overflow
    assert parse_date("0001-01-02T00:00:00+05:00") is not None
