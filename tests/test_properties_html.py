"""Properties of HTML decoding and article extraction over mutated real pages: the only error is
NoArticleText, and each page is handled within the deadline."""

from __future__ import annotations

import contextlib
import gzip
from datetime import UTC

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.ingest.article import NoArticleText, decode_html, extract_article, parse_date
from tests.conftest import shared_path
from tests.strategies import mutated

PROPERTY = settings(max_examples=40, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
CONTENT_TYPES = st.sampled_from([None, "text/html", "text/html; charset=utf-8", "text/html; charset=latin-1",
                                 "text/html; charset=x-bogus", 'text/html; charset="shift_jis"', "charset="])
DATES = st.one_of(
    st.sampled_from(["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "2021-02-30", "31/12/99999",
                     "Sun, 31 Feb 2021 25:61:61 +9999", "yesterday", "1e400", "\x00", "2021-06-01T12:00:00Z"]),
    st.text(max_size=40),
)


@pytest.fixture(scope="module")
def pages() -> list:
    root = shared_path("data", "extraction-benchmark", "html")
    return sorted(root.glob("*.html.gz"), key=lambda p: p.stat().st_size)[:40]


def test_any_page_gives_text_or_no_article_text(pages):
    @PROPERTY
    @given(body=mutated(pages), content_type=CONTENT_TYPES)
    def check(body: bytes, content_type: str | None) -> None:
        html = decode_html(body, content_type)
        assert isinstance(html, str)
        try:
            article = extract_article(html, "https://news.example/a")
        except NoArticleText as exc:
            assert exc.reason in ("parse_error", "no_text", "too_short")
            return
        assert article.text.strip()

    # the deadline bounds the time per page, not the one-time start-up (trafilatura's lazy imports, the
    # stoplist hashed once per process): pay that before the first timed example
    with contextlib.suppress(NoArticleText):
        extract_article(decode_html(gzip.decompress(pages[-1].read_bytes()), None), "https://news.example/a")
    check()


def test_any_date_string_parses_to_utc_or_none():
    @settings(max_examples=300, deadline=2000)
    @given(value=DATES)
    def check(value: str) -> None:
        parsed = parse_date(value)
        assert parsed is None or parsed.tzinfo == UTC

    check()
