"""Story text bounded to its size limit, cut where a reader would cut it, and saying so."""

from __future__ import annotations

import contextlib

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


_SHORT_PAGE = ("<!DOCTYPE html><html lang=\"en\"><head><title>Clashes in the north</title></head><body><nav>"
               "<a href=\"/\">Home</a></nav><article><h1>Clashes in the north</h1><p>Fighters attacked a "
               "checkpoint on Tuesday, officials said.</p></article><footer>Footer</footer></body></html>")


def _extract_short_page(times: int = 1) -> None:
    from services.ingest import article

    for _ in range(times):  # a short page takes the justext fallback
        with contextlib.suppress(article.NoArticleText):
            article.extract_article(_SHORT_PAGE, "http://127.0.0.1/a/1.html")


def test_the_justext_fallback_hashes_its_stoplist_once_not_per_page():
    import time

    from justext.core import define_stoplist
    from trafilatura import external

    define_stoplist.cache_clear()
    _extract_short_page(3)
    info = define_stoplist.cache_info()
    assert info.misses == 1 and info.hits >= 2
    stoplist = external.JT_STOPLIST
    assert isinstance(stoplist, tuple) and len(stoplist) > 100_000  # every language's words, as trafilatura has them
    started = time.perf_counter()
    for _ in range(200):
        hash(stoplist)
    assert (time.perf_counter() - started) / 200 < 1e-4  # a plain tuple of these words: ~2 ms a hash


def test_the_stoplist_keeps_trafilaturas_words_in_their_order():
    from justext import get_stoplist, get_stoplists
    from trafilatura import external

    _extract_short_page()
    # built as trafilatura's jt_stoplist_init builds it (calling that would put back a plain tuple)
    assert tuple(external.JT_STOPLIST) == tuple({w for lang in get_stoplists() for w in get_stoplist(lang)})
