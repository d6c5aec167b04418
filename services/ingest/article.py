"""Article text and metadata from an HTML page (trafilatura, htmldate, py3langid)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import trafilatura
from dateutil import parser as dateparser

from services.common.language import detect_language

log = logging.getLogger(__name__)

MIN_TEXT_CHARS = 200  # below this a page is navigation or a paywall stub, not an article


class _Stoplist(tuple):
    """A tuple of words whose hash is computed once, not on every use."""

    _hash: int

    def __new__(cls, words):
        self = super().__new__(cls, words)
        self._hash = tuple.__hash__(self)
        return self

    def __hash__(self) -> int:
        return self._hash


def _stoplist_hashed_once() -> None:
    """trafilatura's justext fallback (run on every short or unclean page) passes its stoplist, a tuple
    of the 154,000 words of every language, to justext's ``lru_cache``d ``define_stoplist``, which hashes
    the whole tuple on each call: 5 ms a page, more than the rest of the fallback. The same words in a
    tuple that keeps its hash make that a cache hit; the extraction is unchanged (same words, same order).
    Without the expected module layout nothing is changed (correct, only slower)."""
    from trafilatura import external

    init = getattr(external, "jt_stoplist_init", None)
    if callable(init) and not isinstance(getattr(external, "JT_STOPLIST", None), _Stoplist):
        setattr(external, "JT_STOPLIST", _Stoplist(getattr(external, "JT_STOPLIST", None) or init()))  # noqa: B010


_stoplist_hashed_once()


@dataclass
class ArticleText:
    title: str
    text: str
    author: str | None
    published_at: datetime | None
    language: str | None


@dataclass(frozen=True)
class BoundedText:
    """A story text within its size limit; ``original_chars`` is set when it had to be cut."""

    text: str
    original_chars: int | None = None

    @property
    def truncated(self) -> bool:
        return self.original_chars is not None


_SENTENCE_END = re.compile(r"[.!?\u3002][\"'\u201d\u2019)\]]*\s")


def bound_text(text: str, max_chars: int) -> BoundedText:
    """``text`` unchanged if it fits in ``max_chars``; otherwise cut after the last paragraph or
    sentence end within the limit, or at the last word boundary if that loses less than a fifth of
    the limit, or hard at the limit. The cut text is never longer than ``max_chars``."""
    if len(text) <= max_chars:
        return BoundedText(text)
    head = text[:max_chars + 1]  # one more: a sentence end right at the limit still counts
    floor = int(max_chars * 0.8)
    cut = head.rfind("\n\n", floor)
    if cut < 0:
        ends = [m.end() for m in _SENTENCE_END.finditer(head, floor)]
        cut = ends[-1] if ends else head.rfind(" ", floor)
    if cut < 0:
        cut = max_chars
    return BoundedText(text[:min(cut, max_chars)].rstrip(), original_chars=len(text))


class NoArticleText(Exception):
    """The page yielded no usable article text; ``reason`` is a bounded metric label."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def parse_date(value: str | None) -> datetime | None:
    """A date string as an aware UTC datetime, or None when it is missing, unparseable or outside the
    range a UTC datetime can hold (never raises)."""
    if not value:
        return None
    try:
        parsed = dateparser.parse(value)
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+05:00 is before datetime.min in UTC: no usable date
        return None


def decode_html(body: bytes, content_type: str | None) -> str:
    """Bytes to text: the HTTP charset, then the page's own meta charset, then UTF-8 with replacement."""
    from trafilatura.utils import decode_file

    charset = None
    if content_type and "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=", 1)[1].split(";")[0].strip().strip('"')
    if charset:
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_file(body)


def extract_article(html: str, url: str | None = None) -> ArticleText:
    try:
        # favor_precision with tables kept measured best on the extraction benchmark
        # (bench/extraction.py): F1 0.969 against 0.960 for trafilatura's balanced mode.
        doc = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=True,
            favor_precision=True, deduplicate=False,
        )
    except Exception as exc:  # trafilatura can raise on pathological markup; that is one bad page
        raise NoArticleText("parse_error", f"{type(exc).__name__}: {exc}") from exc
    if isinstance(doc, dict):  # only with as_dict=True, which is not passed
        raise TypeError("trafilatura returned a dict although as_dict was not asked for")
    if doc is None or not (doc.text or "").strip():
        raise NoArticleText("no_text", "no article text found")
    text = (doc.text or "").strip()
    title = (doc.title or "").strip()
    # trafilatura keeps an in-article <h1>; the title travels separately, so drop the repeat.
    first, _, rest = text.partition("\n")
    if title and first.strip() == title and rest.strip():
        text = rest.strip()
    if len(text) < MIN_TEXT_CHARS:
        raise NoArticleText("too_short", f"only {len(text)} characters of text")
    return ArticleText(
        title=title,
        text=text,
        author=(doc.author or None),
        published_at=parse_date(doc.date),
        language=detect_language(text),
    )
