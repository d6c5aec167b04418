"""Sentences of a story: character spans, so that every event's evidence points back into ``story.text``.

A boundary is a sentence-final mark followed by a capital or digit, or a line break; a full stop after an
abbreviation ("Gen.", "U.S.", "a.m.") or an initial is not one. Text scraped from pages often loses the space
between paragraphs ("police said.The blast"): a mark right after a word of two or more lower-case letters or
digits and right before a capitalised word is a boundary too ("U.S.Army", "J.R.Smith" and "3.5" are not). Spans are trimmed of whitespace and never
overlap, and the same text always gives the same spans.
"""

from __future__ import annotations

import re

_ABBREV = re.compile(r"(?:\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Mr|Mrs|Ms|Dr|Gen|Col|Lt|Capt|Sgt|"
                     r"St|No|Gov|Rep|Sen|Prof|U\.S|U\.N|a\.m|p\.m|vs|etc)|\b[A-Z])\.$")
_BOUNDARY = re.compile(r"[.!?]['\"”’)]*\s+(?=[\"“‘'(]?[A-Z0-9])|\n+|"
                       r"(?<=[a-z0-9]{2})[.!?][”’)]*(?=[\"“‘]?[A-Z][a-z])")  # "said.The": paragraphs glued


def split_sentences(text: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.start() + (1 if text[m.start()] in ".!?" else 0)
        candidate = text[start:end]
        if text[m.start()] == "." and _ABBREV.search(candidate):
            continue
        if candidate.strip():
            spans.append((start, end))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    # trim surrounding whitespace from every span
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out
