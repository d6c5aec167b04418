"""services/ingest/prescan.py: RSS items' links read cheaply, published ones left out before feedparser."""

from __future__ import annotations

import feedparser

from services.ingest.prescan import prescan

URL = "https://news.example/feed.xml"


def _rss(items: list[str], head: str = "<title>T</title><ttl>5</ttl>") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>{head}'
            + "".join(items) + "</channel></rss>").encode()


def _item(n: int, link: str | None = None) -> str:
    link = link if link is not None else f"<link>https://news.example/a/{n}.html</link>"
    return (f"<item><title>Story {n} &amp; more</title>{link}<guid>g{n}</guid>"
            f"<description>&lt;p&gt;Text {n}&lt;/p&gt;</description>"
            f"<pubDate>Mon, 0{n % 9 + 1} Aug 2021 10:00:00 GMT</pubDate></item>")


def _entries(body: bytes) -> list[tuple]:
    parsed = feedparser.parse(body, response_headers={"content-type": "application/rss+xml; charset=utf-8"})
    return [(e.get("link"), e.get("id"), e.get("title"), e.get("summary"), e.get("published_parsed"))
            for e in parsed.entries]


def test_the_kept_items_parse_exactly_as_in_the_whole_feed():
    body = _rss([_item(n) for n in range(6)])
    scan = prescan(body, URL, max_items=5)
    assert scan is not None and scan.total == 6
    assert scan.links == [f"https://news.example/a/{n}.html" for n in range(5)]
    whole = _entries(body)
    trimmed = scan.without({0, 2})
    assert _entries(trimmed) == [whole[1], whole[3], whole[4]]  # and the sixth is past max_items
    assert feedparser.parse(trimmed).feed.get("ttl") == "5"


def test_a_link_feedparser_might_report_otherwise_is_not_given():
    items = [_item(0, "<link>/a/0.html</link>"),  # relative: feedparser resolves it
             _item(1, '<link>https://news.example/a/1.html</link><atom:link xmlns:atom="http://www.w3.org/2005/Atom" '
                      'rel="alternate" href="https://other.example/1"/>'),
             _item(2, ""),  # no link: keyed by its GUID
             _item(3, "<link>https://news.example/x/../a/3.html</link>"),  # feedparser keeps it as it is
             _item(4, "<link>https://news.example/a/4.html</link><link>https://news.example/b/4.html</link>"),
             _item(5)]
    scan = prescan(_rss(items), URL, max_items=200)
    assert scan is not None
    assert scan.links == [None, None, None, "https://news.example/x/../a/3.html", None, "https://news.example/a/5.html"]
    assert [e[0] for e in _entries(_rss(items))][3] == scan.links[3]


def test_anything_but_plain_well_formed_rss_is_left_to_feedparser():
    atom = b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="https://a/1"/></entry></feed>'
    doctype = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaa">]><rss><channel><item><title>&a;</title>' \
              b"</item></channel></rss>"
    base = b'<rss xml:base="https://x/"><channel><item><link>https://x/1</link></item></channel></rss>'
    for body in (atom, doctype, base, _rss([_item(0)])[:-10], b"", b"not xml at all",
                 b"<rss><channel/><channel/></rss>"):
        assert prescan(body, URL, max_items=200) is None


def test_canonical_links_are_keyed_by_item_index():
    scan = prescan(_rss([_item(0, ""), _item(1)]), URL, max_items=200)
    assert scan is not None and list(scan.canonical_links()) == [1]
