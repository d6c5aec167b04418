"""CASE 2021 snippets and WikiEvents articles, scored for bench/eval_extract.py.

CASE 2021 (../shared/data/case2021/case2021-task2-snippets.jsonl): each snippet is a story. Scored: the
best event's sub-event type (and event type) against ``labels.acled_sub_event_type`` on the snippets
that map to an ACLED class, and the share of the non-events (no ACLED class: disasters, diplomacy,
crime...) that yield no event at all.

WikiEvents (../shared/data/wikievents/wikievents-dev-test.jsonl): whole articles with every event
mention annotated. An annotated mention (its trigger token, located in the text through its sentence,
which appears verbatim in the text, in order) is *covered* by an extracted event when the trigger lies
inside one of the event's evidence items (start/end offsets into the story text). Scored: the share of
Conflict.Attack.* and Life.Die.* mentions covered, and covered by an event in the annotated country;
the share of extracted events whose evidence overlaps the sentence of no Conflict.Attack, Life.Die,
Life.Injure or Justice.Arrest mention; per article, the articles reporting an attack or a death that
get an event covering one of those mentions, and of them those whose best such event (highest
confidence) is in the article's country. The annotated country of a mention is that of its Place
arguments, resolved as a country name (pycountry), else through the curated Afghan gazetteer (AF),
else as a name the world gazetteer knows as a whole ("Diyala province", not "Rue Victor Hugo"); an
article's is the most common one over its attack/death mentions, else over ``labels.place_args``.
Death toll: an article's annotated toll is the first count given for the Victim of a Life.Die mention
(``death_toll``); of the articles reporting an attack or a death that have one, the share whose best event
(as for the country; no event: wrong) has exactly that many fatalities.

Neither set gives a publication date (``published_at`` is null): a story is dated at the latest date
it names with a year (the end of that month, or of that year: a report is no older than what it
reports), a VOA article at the date in its id, else at FIXED_PUBLISHED; so that an event the text
dates in, say, 2015 is not taken for history by the extractor's background rule.
"""

from __future__ import annotations

import calendar
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from eval_world import (
    _GAZ,
    _fold,
    best_event,
    country_code,
    extract,
    naive_world,
    pct,
    print_errors,
    table,
)

from services.extract.numbers import find_quantities
from services.extract.world import default_world

FIXED_PUBLISHED = date(2021, 6, 30)  # CASE 2021's year
CASE_TARGETS = {"sub": "≥70%", "non_event": "≥80%"}
WIKI_TARGETS = {"article_event": "≥80%", "article_country": "≥90%", "article_toll": "≥60%"}
ATTACK_DIE = ("Conflict.Attack", "Life.Die")
ANY_VIOLENCE = (*ATTACK_DIE, "Life.Injure", "Justice.Arrest")

_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                        "nov", "dec"], start=1)}
_DATED = re.compile(r"\b(?:(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+(?:\d{1,2}(?:st|nd|rd|th)?,?\s+)?)?"
                    r"((?:19[5-9]|20[0-9])\d)\b")
_ID_DATE = re.compile(r"(20\d\d|19\d\d)\.(\d\d)\.(\d\d)")


def story_date(rec: dict, fallback: date = FIXED_PUBLISHED) -> tuple[date, str]:
    """(publication date, where from: 'published_at' | 'id' | 'text' | 'fixed')."""
    if rec.get("published_at"):
        return date.fromisoformat(str(rec["published_at"])[:10]), "published_at"
    m = _ID_DATE.search(rec.get("id") or "")
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))), "id"
        except ValueError:
            pass
    latest = None
    for m in _DATED.finditer(rec.get("text") or ""):
        year = int(m.group(2))
        month = _MONTHS[m.group(1)[:3].lower()] if m.group(1) else 12
        if year > date.today().year:
            continue
        d = date(year, month, calendar.monthrange(year, month)[1])
        latest = d if latest is None or d > latest else latest
    return (latest, "text") if latest else (fallback, "fixed")


def read_jsonl(path: Path, limit: int | None = None) -> list[dict]:
    recs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return recs[:limit] if limit else recs


# -- CASE 2021 -----------------------------------------------------------------------------------

@dataclass
class Snippet:
    id: str
    text: str
    published: date
    date_source: str
    event_type: str | None      # ACLED's, None for a non-event
    sub_event_type: str | None
    task_class: str             # the task's own class code (AIR_STRIKE, NATURAL_DISASTER, ...)


def load_case(path: Path, limit: int | None = None) -> list[Snippet]:
    out = []
    for rec in read_jsonl(path, limit):
        labels = rec.get("labels") or {}
        published, src = story_date(rec)
        out.append(Snippet(rec["id"], rec.get("text") or "", published, src, labels.get("acled_event_type"),
                           labels.get("acled_sub_event_type"), labels.get("SubType") or "?"))
    return out


_NAIVE_EVENT_TYPE = {"Suicide bomb": "Explosions/Remote violence", "Air/drone strike": "Explosions/Remote violence",
                     "Shelling/artillery/missile attack": "Explosions/Remote violence",
                     "Remote explosive/landmine/IED": "Explosions/Remote violence",
                     "Non-state actor overtakes territory": "Battles", "Arrests": "Strategic developments",
                     "Peaceful protest": "Protests", "Armed clash": "Battles"}


@dataclass
class CaseTally:
    score: dict[str, Counter] = field(default_factory=lambda: {"ours": Counter(), "naive": Counter()})
    n_class: int = 0
    n_none: int = 0
    confusion: dict[str, Counter] = field(default_factory=dict)   # gold sub-type -> ours (or 'no event')
    false_events: dict[str, Counter] = field(default_factory=dict)  # non-event task class -> our sub-type
    errors: dict[str, list[str]] = field(default_factory=lambda: {"sub-event type": [], "non-event": []})

    def add(self, s: Snippet, events: list) -> None:
        e = best_event(events)
        got = e.sub_event_type if e else None
        nv = naive_world(s.text, s.published).sub_event_type
        if s.sub_event_type is None:
            self.n_none += 1
            self.score["ours"]["non_event"] += not events
            if events:
                self.false_events.setdefault(s.task_class, Counter())[got] += 1
                self.errors["non-event"].append(f"{s.id} [{s.task_class}] got {got!r} :: {s.text[:200]}")
            return
        self.n_class += 1
        self.confusion.setdefault(s.sub_event_type, Counter())[got or "no event"] += 1
        self.score["ours"]["sub"] += got == s.sub_event_type
        self.score["ours"]["type"] += bool(e) and e.event_type == s.event_type
        self.score["ours"]["no_event"] += not events
        self.score["naive"]["sub"] += nv == s.sub_event_type
        self.score["naive"]["type"] += _NAIVE_EVENT_TYPE.get(nv) == s.event_type
        if got != s.sub_event_type:
            self.errors["sub-event type"].append(f"{s.id} got {got!r} want {s.sub_event_type!r} :: {s.text[:200]}")


def print_case_confusion(t: CaseTally) -> None:
    print("\n  -- CASE sub-event type by class (n, right, most common wrong answers):")
    for gold, c in sorted(t.confusion.items(), key=lambda kv: -sum(kv[1].values())):
        wrong = ", ".join(f"{k} {v}" for k, v in [kv for kv in c.most_common() if kv[0] != gold][:4])
        print(f"     {gold:<38} {sum(c.values()):>4} {c[gold]:>4} right | {wrong}")
    print("\n  -- CASE non-events that gave an event, by task class (n, our sub-event types):")
    for cls, c in sorted(t.false_events.items(), key=lambda kv: -sum(kv[1].values())):
        print(f"     {cls:<38} {sum(c.values()):>4} | {', '.join(f'{k} {v}' for k, v in c.most_common(4))}")


def eval_case(path: Path, limit: int | None, show_errors: int) -> None:
    snippets = load_case(path, limit)
    t = CaseTally()
    for s in snippets:
        t.add(s, extract(s.text, s.published))
    o, b = t.score["ours"], t.score["naive"]
    dates = Counter(s.date_source for s in snippets)
    table(f"CASE 2021 task 2 snippets ({len(snippets)}: {t.n_class} with an ACLED class, {t.n_none} not events)", [
        ("sub-event type (snippets with an ACLED class)", pct(o["sub"], t.n_class), pct(b["sub"], t.n_class),
         CASE_TARGETS["sub"]),
        ("event type (snippets with an ACLED class)", pct(o["type"], t.n_class), pct(b["type"], t.n_class), ""),
        ("  snippets with an ACLED class that gave no event", pct(o["no_event"], t.n_class), pct(0, t.n_class), ""),
        ("non-events that gave no event", pct(o["non_event"], t.n_none), pct(0, t.n_none), CASE_TARGETS["non_event"]),
    ], [f"publication date from: {dict(dates)} (the latest dated mention in the text, else {FIXED_PUBLISHED})"])
    if show_errors:
        print_case_confusion(t)
        print_errors(t.errors, show_errors)


# -- WikiEvents ----------------------------------------------------------------------------------

@dataclass
class WikiMention:
    event_type: str
    sentence: tuple[int, int]   # character span of the trigger's sentence in the text
    trigger: tuple[int, int]    # character span of the trigger
    countries: frozenset[str]   # of its Place arguments, resolved


@dataclass
class Article:
    id: str
    text: str
    published: date
    mentions: list[WikiMention]
    place_args: list[str]
    toll: int | None = None  # the first count the annotation gives for the dead (``death_toll``)

    def country(self) -> str | None:
        votes = Counter(c for m in self.mentions if m.event_type.startswith(ATTACK_DIE) for c in m.countries)
        if not votes:
            votes = Counter(c for p in self.place_args if (c := place_country(p)))
        return votes.most_common(1)[0][0] if votes else None


_GENERIC_TAIL = re.compile(r"\s+(?:province|governorate|region|state|district|city|town|village)$", re.IGNORECASE)


def place_country(text: str) -> str | None:
    """The country a Place argument names: a country name, an Afghan place, else a name the world gazetteer
    knows as a whole ("Diyala province", "Mosul"; None for "province", "Rue Victor Hugo" and the like)."""
    text = re.sub(r"^(?:the)\s+", "", text.strip(), flags=re.IGNORECASE)
    if not text or not text[0].isupper():
        return None
    cc = country_code(text) or (country_code(text.replace(".", "")) if "." in text else None)  # "U.S."
    if cc:
        return cc
    if _GAZ.find(text):
        return "AF"
    # the whole argument must be a known name (a street or a shrine is not its first word's town)
    bare = _GENERIC_TAIL.sub("", _fold(text)).strip()
    found = default_world().by_key.get(re.sub(r"[^a-z]", "", bare.lower()))
    # without the story's context a name means its most populous bearer ("Lyon" the city, not a US county
    # of that name, which the index ranks first as a district)
    return max(found, key=lambda w: w.population).place.country if found else None


def _sentence_spans(text: str, sentences: list) -> list[tuple[int, int, int]]:
    """(start, end, index of its first token in the document) of each annotated sentence."""
    spans, pos, first = [], 0, 0
    for tokens, sent in sentences:
        i = text.find(sent, pos)
        if i < 0:  # not verbatim: left unlocated (an empty span covers nothing)
            spans.append((pos, pos, first))
        else:
            spans.append((i, i + len(sent), first))
            pos = i + len(sent)
        first += len(tokens)
    return spans


def _mention(text: str, m: dict, spans: list, sentences: list) -> WikiMention | None:
    trig = m.get("trigger") or {}
    idx = trig.get("sent_idx")
    if idx is None or idx >= len(spans):
        return None
    s0, s1, first = spans[idx]
    tokens = sentences[idx][0]
    local = (trig.get("start", first) - first, trig.get("end", first + 1) - first - 1)
    if s1 > s0 and 0 <= local[0] <= local[1] < len(tokens):
        base = tokens[0][1]
        t0, t1 = s0 + tokens[local[0]][1] - base, s0 + tokens[local[1]][2] - base
    else:  # the trigger's text, first found in its sentence
        k = text.find(trig.get("text") or "\0", s0, s1)
        t0, t1 = (k, k + len(trig.get("text") or "")) if k >= 0 else (s0, s0)
    places = [a.get("text") or "" for a in m.get("arguments") or [] if a.get("role") == "Place"]
    countries = frozenset(c for p in places if (c := place_country(p)))
    return WikiMention(m.get("event_type") or "", (s0, s1), (t0, t1), countries)


_AGE = re.compile(r",\s*\d{1,3}\s*,?$")  # "Campbell, 29, who": an age, not a count


def death_toll(labels: dict) -> int | None:
    """The article's death toll by its annotation: the first count, in document order, of the Victim of a
    Life.Die mention: the victim's head when it is a number ("left 21"), else a number among the four tokens
    before it ("killing at least 26 people", "Scores" = 40 by the number reader). None if no victim is counted."""
    tokens = labels.get("tokens") or []
    ents = {e.get("id"): e for e in labels.get("entity_mentions") or []}
    found: list[tuple[int, int]] = []
    for m in labels.get("event_mentions") or []:
        if not (m.get("event_type") or "").startswith("Life.Die"):
            continue
        for arg in m.get("arguments") or []:
            e = ents.get(arg.get("entity_id")) if arg.get("role") == "Victim" else None
            if not e or not isinstance(e.get("start"), int) or not isinstance(e.get("end"), int):
                continue
            head = " ".join(tokens[e["start"]:e["end"]])
            before = " ".join(tokens[max(0, e["start"] - 4):e["start"]])
            phrase = f"{before} {head}".strip()
            near = [q for q in find_quantities(phrase) if q.end > len(phrase) - len(head) - 14]
            if near and not _AGE.search(phrase[:near[-1].end + 2]):
                found.append((e["start"], near[-1].min))
    return min(found)[1] if found else None


def load_wiki(path: Path, limit: int | None = None) -> list[Article]:
    out = []
    for rec in read_jsonl(path, limit):
        labels = rec.get("labels") or {}
        text = rec.get("text") or ""
        sentences = labels.get("sentences") or []
        spans = _sentence_spans(text, sentences)
        mentions = [x for m in labels.get("event_mentions") or [] if (x := _mention(text, m, spans, sentences))]
        out.append(Article(rec["id"], text, story_date(rec)[0], mentions, list(labels.get("place_args") or []),
                           death_toll(labels)))
    return out


def covers(event, m: WikiMention) -> bool:
    return m.trigger[1] > m.trigger[0] and any(ev.start <= m.trigger[0] and m.trigger[1] <= ev.end
                                               for ev in event.evidence)


def touches(event, m: WikiMention) -> bool:
    return any(ev.start < m.sentence[1] and m.sentence[0] < ev.end for ev in event.evidence)


@dataclass
class WikiTally:
    c: Counter = field(default_factory=Counter)
    errors: dict[str, list[str]] = field(default_factory=lambda: {"missed mention": [], "wrong country": [],
                                                                  "event on no mention": [], "wrong toll": []})

    def add(self, a: Article, events: list) -> None:
        c = self.c
        key = [m for m in a.mentions if m.event_type.startswith(ATTACK_DIE)]
        violent = [m for m in a.mentions if m.event_type.startswith(ANY_VIOLENCE)]
        for m in key:
            on = [e for e in events if covers(e, m)]
            c["mentions"] += 1
            c["covered"] += bool(on)
            if m.countries:
                c["placed"] += 1
                c["placed_right"] += any(getattr(e, "country", None) in m.countries for e in on)
            if not on:
                self.errors["missed mention"].append(f"{a.id} {m.event_type} :: {a.text[m.sentence[0]:m.sentence[1]][:200]}")
        for e in events:
            c["events"] += 1
            if not any(touches(e, m) for m in violent):
                c["stray"] += 1
                self.errors["event on no mention"].append(f"{a.id} {e.sub_event_type} :: {e.evidence[0].text[:200]}"
                                                          if e.evidence else f"{a.id} {e.sub_event_type}")
        if key:
            self._article(a, [e for e in events if any(covers(e, m) for m in key)])

    def _article(self, a: Article, on: list) -> None:
        c = self.c
        c["articles"] += 1
        c["articles_event"] += bool(on)
        if a.toll is not None:  # an article with no event on its mentions gets its toll wrong
            c["articles_toll"] += 1
            got_toll = getattr(best_event(on), "fatalities", None) if on else None
            c["articles_toll_right"] += got_toll == a.toll
            if got_toll != a.toll:
                self.errors["wrong toll"].append(f"{a.id} got {got_toll!r} want {a.toll!r}")
        cc = a.country()
        if on and cc:
            c["articles_placed"] += 1
            got = getattr(best_event(on), "country", None)
            c["articles_right"] += got == cc
            if got != cc:
                self.errors["wrong country"].append(f"{a.id} got {got!r} want {cc!r}")


def eval_wiki(path: Path, limit: int | None, show_errors: int) -> None:
    articles = load_wiki(path, limit)
    t = WikiTally()
    for a in articles:
        t.add(a, extract(a.text, a.published))
    c = t.c
    table(f"WikiEvents articles ({len(articles)} articles, {c['mentions']} attack/death mentions)", [
        ("attack/death mentions inside an event's evidence", pct(c["covered"], c["mentions"]), "", ""),
        ("  and in the annotated country (mentions with a place)", pct(c["placed_right"], c["placed"]), "", ""),
        ("extracted events on no attack/death/injury/arrest mention", pct(c["stray"], c["events"]), "", ""),
        ("articles reporting an attack/death with an event on it", pct(c["articles_event"], c["articles"]), "",
         WIKI_TARGETS["article_event"]),
        ("  of those, best such event in the article's country", pct(c["articles_right"], c["articles_placed"]), "",
         WIKI_TARGETS["article_country"]),
        ("articles with an annotated toll: best event's fatalities exact", pct(c["articles_toll_right"],
                                                                           c["articles_toll"]), "",
         WIKI_TARGETS["article_toll"]),
    ], ["no naive baseline: the mentions are scored against the extractor's own evidence offsets",
        f"country: {c['placed']} of {c['mentions']} mentions have a Place argument that resolves to a country; "
        f"{c['articles_placed']} articles with an event have an annotated country"])
    print_errors(t.errors, show_errors)
