"""Labelled near-duplicate pairs built at run time from real text in ../shared/data.

Positives: an article from the extraction benchmark and a realistic edit of it (an updated or
added paragraph, a changed headline, boilerplate added or removed, truncation to a summary, wire
copy reformatting). Negatives: two different articles, and two different stories on the same
topic (BBC and CNN feed items about Afghanistan from the 2021 RSS archive).
"""

from __future__ import annotations

import gzip
import html
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"

BOILERPLATE = [
    "Advertisement", "Share this article", "Sign up for our newsletter to get the latest news in your inbox.",
    "Follow us on Twitter and Facebook.", "Read more:", "This story has been updated.",
    "All rights reserved.", "Watch the video above.", "Click here to subscribe.",
    "Copyright 2021 The Associated Press. All rights reserved. This material may not be published.",
]
DATELINES = ["KABUL (Reuters) - ", "WASHINGTON (AP) — ", "LONDON, Aug 9 (Reuters) - ", "NEW YORK — "]


@dataclass
class Pair:
    a: str
    b: str
    duplicate: bool
    kind: str


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n") if p.strip()]


def load_articles() -> list[tuple[str, str]]:
    """(headline, body) of every extraction-benchmark article with a body of 150+ words."""
    truth = json.loads((SHARED / "extraction-benchmark" / "ground-truth.json").read_text(encoding="utf-8"))
    out = []
    for value in truth.values():
        body = value["articleBody"].strip()
        if len(body.split()) < 150:
            continue
        slug = value["url"].rstrip("/").rsplit("/", 1)[-1]
        headline = re.sub(r"[-_]+", " ", re.sub(r"\.\w+$", "", slug)).strip().capitalize()
        out.append((headline, body))
    return out


def load_afghanistan_items() -> dict[str, list[str]]:
    """Feed items (title + description) about Afghanistan, by outlet."""
    items: dict[str, list[str]] = {}
    with gzip.open(SHARED / "rss-archive" / "bbc-cnn-guardian-2021.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            desc = html.unescape(re.sub(r"<[^>]+>", " ", d.get("description") or ""))
            desc = re.sub(r"\s*Continue reading\.*\s*$", "", desc).strip()
            text = f"{d.get('title', '').strip()}\n{desc}"
            low = text.lower()
            if "afghan" in low or "taliban" in low or "kabul" in low:
                outlet = "bbc" if "bbc" in d["source"] else "cnn" if "cnn" in d["source"] else "guardian"
                items.setdefault(outlet, []).append(text)
    return items


def doc(headline: str, body: str) -> str:
    return f"{headline}\n{body}"


def edits(rng: random.Random, headline: str, body: str, others: list[tuple[str, str]]) -> list[Pair]:
    original = doc(headline, body)
    paras = _paragraphs(body)
    other_h, other_b = rng.choice(others)
    out = []
    # 1. an updated version: one paragraph rewritten, one new paragraph added
    upd = list(paras)
    i = rng.randrange(len(upd))
    words = upd[i].split()
    for _ in range(max(1, len(words) // 6)):
        j = rng.randrange(len(words))
        words[j] = rng.choice(["reportedly", "officials", "Monday", "later", "also", "now", "more"])
    upd[i] = " ".join(words)
    upd.insert(rng.randrange(1, len(upd) + 1), rng.choice(_sentences(other_b)) + " " + rng.choice(
        ["Officials said the figure was expected to rise.", "The investigation is continuing.",
         "More details are expected later on Monday."]))
    out.append(Pair(original, doc(headline, "\n".join(upd)), True, "updated paragraphs"))
    # 2. a changed headline
    out.append(Pair(original, doc(f"UPDATED: {other_h.split(' ', 3)[-1]} - {headline}", body), True, "changed headline"))
    # 3. boilerplate added around it
    pre = rng.sample(BOILERPLATE, 2)
    post = rng.sample(BOILERPLATE, 3)
    out.append(Pair(original, doc(headline, "\n".join([*pre, *paras, *post, f"Read more: {other_h}"])), True,
                    "boilerplate added"))
    # 4. boilerplate removed (the copy is the clean one, the original carried it)
    out.append(Pair(doc(headline, "\n".join([rng.choice(BOILERPLATE), *paras, rng.choice(BOILERPLATE)])),
                    original, True, "boilerplate removed"))
    # 5. truncated to a summary: the lead sentences, at least ~40 words
    sents = _sentences(body)
    lead, n = [], 0
    for s in sents:
        lead.append(s)
        n += len(s.split())
        if n >= rng.choice([40, 60, 90]):
            break
    out.append(Pair(original, doc(headline, " ".join(lead)), True, "truncated to a summary"))
    # 6. wire-copy reformatting: dateline, different paragraph breaks and quotes, a sign-off
    flat = " ".join(paras).replace("“", '"').replace("”", '"').replace("’", "'")
    rewrapped = re.sub(r"(?<=[.!?]) (?=[A-Z])", lambda m: "\n" if rng.random() < 0.3 else " ", flat)
    out.append(Pair(original, doc(headline.upper(), rng.choice(DATELINES) + rewrapped +
                                  "\n(Reporting by staff; Editing by the desk)"), True, "wire reformatting"))
    return out


def build_pairs(seed: int = 20211108) -> list[Pair]:
    rng = random.Random(seed)
    articles = load_articles()
    pairs: list[Pair] = []
    for idx, (h, b) in enumerate(articles):
        others = articles[:idx] + articles[idx + 1:]
        pairs += edits(rng, h, b, others)
    # different articles: each article against three random others
    for idx, (h, b) in enumerate(articles):
        for j in rng.sample([k for k in range(len(articles)) if k != idx], 3):
            pairs.append(Pair(doc(h, b), doc(*articles[j]), False, "different articles"))
    # same topic, different stories: BBC vs CNN (and within one outlet) on Afghanistan
    items = load_afghanistan_items()
    bbc, cnn = items.get("bbc", []), items.get("cnn", [])
    for _ in range(600):
        a, b = rng.choice(bbc), rng.choice(cnn)
        pairs.append(Pair(a, b, False, "same topic, other outlet"))
    for outlet in (bbc, cnn):
        for _ in range(300):
            a, b = rng.sample(outlet, 2)
            if a.split("\n")[0] != b.split("\n")[0]:
                pairs.append(Pair(a, b, False, "same topic, same outlet"))
    return pairs
