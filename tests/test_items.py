"""Which feed item is which: canonical URL, GUID key, or the item's own words; and why one is skipped."""

from __future__ import annotations

import time

from services.ingest.feeds import Feed
from services.ingest.items import NewItem, SkipKind, SkippedItem, entry_time, html_to_text, identify

FEED = Feed(id="f", url="http://f.test/rss", outlet="F")


def test_a_linked_item_is_its_canonical_url_and_keeps_its_guid():
    item = identify(FEED, {"link": " https://WWW.Example.com/a?utm_source=x ", "id": "g1"})
    assert isinstance(item, NewItem)
    assert item.link == "https://WWW.Example.com/a?utm_source=x"
    assert item.canonical_url == "https://example.com/a" and item.guid_key == "f:g1"


def test_an_item_without_a_usable_link_is_keyed_by_guid_then_by_its_words():
    by_guid = identify(FEED, {"link": "mailto:desk@example.com", "id": "g2"})
    assert (by_guid.link, by_guid.canonical_url) == (None, "urn:wirewatch:guid:f:g2")
    words = identify(FEED, {"title": "Clash in Kunduz", "summary": "Five killed"})
    again = identify(FEED, {"title": "Clash in Kunduz", "summary": "Five killed"})
    other = identify(FEED, {"title": "Clash in Baghlan", "summary": "Five killed"})
    assert words.canonical_url.startswith("urn:wirewatch:item:f:") and words == again
    assert other.canonical_url != words.canonical_url


def test_an_empty_item_is_skipped_as_unusable():
    assert identify(FEED, {"title": " ", "summary": ""}) == SkippedItem(
        SkipKind.UNUSABLE, "empty item (no link, GUID, title or summary)")


def test_feed_html_becomes_text_and_entry_time_is_utc():
    assert html_to_text("<p>Five <b>killed</b></p>") == "Five killed"
    assert html_to_text("plain ") == "plain"
    t = entry_time({"updated_parsed": time.strptime("2021-08-08 10:00", "%Y-%m-%d %H:%M")})
    assert t.isoformat() == "2021-08-08T10:00:00+00:00"
    assert entry_time({}) is None
