"""Feed items on their way to stories: which item is which (its canonical URL), why one is skipped,
and the plain text of a feed's HTML fragments. Pure functions of the item; what was already seen
is the service's question to the state."""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

import feedparser
from lxml import html as lxml_html

from services.common.contracts import Story

from . import dedup
from .feeds import Feed
from .urls import canonical_url


@dataclass(frozen=True)
class NewItem:
    """A feed item with the URL that identifies it (the same on every poll) and its GUID key."""

    entry: feedparser.FeedParserDict
    link: str | None
    canonical_url: str
    guid_key: str | None = None


class SkipKind(Enum):
    DUPLICATE = "duplicate"
    UNUSABLE = "unusable"


@dataclass(frozen=True)
class SkippedItem:
    """A feed item that is not published, and why; ``kind`` is the bounded metric label."""

    kind: SkipKind
    reason: str


DUPLICATE = SkippedItem(SkipKind.DUPLICATE, "already published")


@dataclass
class Candidate:
    """A story built from a new item, with what deduplication needs beside it."""

    story: Story
    guid_key: str | None
    fingerprint: dedup.Fingerprint


def identify(feed: Feed, entry) -> NewItem | SkippedItem:
    """The item's identity, or why it has none.

    An item without a link is still a story, published from the feed's text and keyed by its GUID
    or, lacking that, by its title and summary; only an item with no content at all is skipped."""
    link = (entry.get("link") or "").strip()
    guid = (entry.get("id") or "").strip() or None
    guid_key = f"{feed.id}:{guid}" if guid else None
    if link and not link.startswith(("http://", "https://")):
        link = ""  # mailto:, javascript: and relative junk are not article pages
    if link:
        try:
            canon = canonical_url(link)
        except Exception:
            return SkippedItem(SkipKind.UNUSABLE, f"unparseable link {link[:200]!r}")
    elif guid_key:
        canon = f"urn:wirewatch:guid:{guid_key}"
    else:
        # Neither link nor GUID: the item's own words are its identity, so a re-poll finds it again.
        content = f"{entry.get('title', '')}\n{entry.get('summary', '')}".strip()
        if not content:
            return SkippedItem(SkipKind.UNUSABLE, "empty item (no link, GUID, title or summary)")
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:24]
        canon = f"urn:wirewatch:item:{feed.id}:{digest}"
    return NewItem(entry, link or None, canon, guid_key)


def html_to_text(fragment: str) -> str:
    if not fragment or "<" not in fragment:
        return (fragment or "").strip()
    try:
        return lxml_html.fromstring(fragment).text_content().strip()
    except Exception:
        return fragment.strip()


def entry_time(entry) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None
