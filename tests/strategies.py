"""Hypothesis strategies for the property tests: real inputs from ../shared, mutated.

Real files are better seeds than noise: a mutation of a real feed or page is still mostly a feed
or page, so it reaches the deep paths (entities, encodings, dates, nested markup) that random
bytes never get past. Each mutation is a small edit (cut, drop, repeat, insert something hostile,
flip a byte) that hypothesis can shrink back to the smallest failing one.
"""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path

from hypothesis import strategies as st

HOSTILE = [
    b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\xc3\x28", b"&#0;", b"&#x110000;", b"&#99999999999;", b"&bogus;",
    b"<![CDATA[", b"]]>", b"<!--", b"-->", b"<", b">", b"</", b"<item>", b"</item>", b"<entry>", b"<link>",
    b"<pubDate>Sun, 31 Feb 99999 25:61:61 +9999</pubDate>", b"<updated>0000-00-00T00:00:00Z</updated>",
    b'<?xml version="1.0" encoding="utf-16"?>', b'<?xml version="1.0" encoding="x-bogus"?>',
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>', b"<script>", b"</script>", b"<table><tr><td>",
    b'<meta charset="shift_jis">', b"\xe2\x80\xae", b"\r", b"\t" * 50, "é漢字🙂".encode(),
]


@functools.cache
def read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _one_of(values: list):
    # by index: sampled_from's repr would spell out every value in each failure report
    return st.integers(0, len(values) - 1).map(values.__getitem__)


def _edit(data: bytes, draw) -> bytes:
    n = len(data)
    at = draw(st.integers(0, n))
    kind = draw(st.sampled_from(["cut", "drop", "repeat", "insert", "flip"]))
    if kind == "cut":
        return data[:at]
    if kind == "insert":
        snippet = draw(st.one_of(st.sampled_from(HOSTILE), st.binary(min_size=1, max_size=16)))
        return data[:at] + snippet + data[at:]
    if n == 0:
        return data
    span = draw(st.integers(1, max(1, min(n - min(at, n - 1), 2000))))
    start = min(at, n - 1)
    if kind == "drop":
        return data[:start] + data[start + span:]
    if kind == "repeat":
        return data[:start + span] + data[start:start + span] * draw(st.integers(1, 5)) + data[start + span:]
    return data[:start] + bytes([data[start] ^ draw(st.integers(1, 255))]) + data[start + 1:]


@st.composite
def mutated(draw, files: list[Path], max_edits: int = 4) -> bytes:
    """One of ``files`` (gzip ones decompressed) with up to ``max_edits`` small edits."""
    data = read_bytes(draw(_one_of(files)))
    for _ in range(draw(st.integers(0, max_edits))):
        data = _edit(data, draw)
    return data


@st.composite
def mutated_text(draw, texts: list[str], max_edits: int = 4) -> str:
    """One of ``texts`` with up to ``max_edits`` small edits, decoded back to text (bad bytes replaced)."""
    data = draw(_one_of(texts)).encode("utf-8")
    for _ in range(draw(st.integers(0, max_edits))):
        data = _edit(data, draw)
    return data.decode("utf-8", errors=draw(st.sampled_from(["replace", "ignore", "surrogateescape"])))


def archive_items(path: Path, limit: int) -> list[dict]:
    """The first ``limit`` items of the RSS archive (a JSON object a line, gzip-compressed)."""
    items = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            items.append(json.loads(line))
            if len(items) >= limit:
                break
    return items
