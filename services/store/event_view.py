"""An event's full story, as ``GET /events/{id}`` answers it: the merged event and, beside it,
what an analyst needs to judge it.

Every key of the merged event stays as it is stored; the view adds, computed from the stored
merged JSON and the reports it merged (nothing is stored for it, so a replay cannot change it):

* ``sources`` ordered first report first (by published time, then URL);
* ``figures``: per casualty kind, the lowest and highest figure any outlet gave, and each outlet's;
* ``passages``: per story, its evidence sentences in story order with their offsets in the story's
  text, and ``highlights`` (offsets inside each sentence) of the casualty phrases it contains; the
  store keeps the sentences, not the whole story, so gaps between sentences are marked by offsets;
* ``merged``: every report in the event and why it joined (the ``merge.same_event`` criteria
  recomputed for the pair that links it: place, dates, type, actors), deterministically.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import asdict, dataclass

from sqlalchemy import Engine, text

from . import merge


@dataclass(frozen=True)
class MergeReason:
    """Why report ``report_id`` is in the event: it is the same event as ``joined_with``."""

    report_id: str
    story_id: str
    outlet: str | None
    joined_with: str | None  # None for the report the event is named after
    place: str | None  # "same district Dasht-e-Archi" / "1.2 km apart"
    dates: str | None  # "1 day apart (tolerance 1)"
    event_type: str | None
    actors: str | None  # "shared: Taliban" / "one side unknown"


def _place_reason(a: dict, b: dict) -> str:
    if a.get("admin2") and a.get("admin2") == b.get("admin2"):
        return f"same district {a['admin2']} ({a.get('admin1')})"
    km = merge._km(a, b)  # noqa: SLF001 - the distance merging uses, not a second formula
    return f"{km:.1f} km apart (within {merge.MAX_DISTANCE_KM:g} km)" if km is not None else "same place"


def _date_reason(a: dict, b: dict) -> str:
    days = abs(merge._day(a) - merge._day(b))  # noqa: SLF001
    tolerance = max(merge.DATE_TOLERANCE_DAYS.get(a["date_precision"], 1),
                    merge.DATE_TOLERANCE_DAYS.get(b["date_precision"], 1))
    return f"{days} day{'s' if days != 1 else ''} apart (within {tolerance})"


def _actor_reason(a: dict, b: dict) -> str:
    shared = sorted(merge._actors(a) & merge._actors(b))  # noqa: SLF001
    return f"shared: {', '.join(shared)}" if shared else "one side's actors unknown"


def _outlets(event: dict) -> dict[str, str]:
    return {s["story_id"]: s["outlet"] for s in event.get("sources", ()) if s.get("story_id")}


def merge_reasons(reports: list[dict], outlets: dict[str, str]) -> list[MergeReason]:
    """Each report of one cluster with the pair that links it into the cluster: a breadth-first walk
    of the ``same_event`` relation from the smallest report id, trying partners in id order, so the
    answer depends only on the set of reports."""
    by_id = {r["event_id"]: r for r in reports}
    ids = sorted(by_id)
    if not ids:
        return []
    first = by_id[ids[0]]
    out = [MergeReason(ids[0], first["story_id"], outlets.get(first["story_id"]), None, None, None, None, None)]
    seen, todo = {ids[0]}, deque([ids[0]])
    while todo:
        a = by_id[todo.popleft()]
        for other in ids:
            b = by_id[other]
            if other in seen or not merge.same_event(a, b):
                continue
            seen.add(other)
            todo.append(other)
            out.append(MergeReason(other, b["story_id"], outlets.get(b["story_id"]), a["event_id"],
                                   _place_reason(a, b), _date_reason(a, b), f"both {b['event_type']}",
                                   _actor_reason(a, b)))
    # reports that no longer pass the test alone (an older store's clusters): listed, unexplained
    out.extend(MergeReason(i, by_id[i]["story_id"], outlets.get(by_id[i]["story_id"]), None, None, None, None, None)
               for i in ids if i not in seen)
    return out


def figures(event: dict, outlets: dict[str, str]) -> dict[str, dict]:
    """Per casualty kind: the lowest and highest figure reported, and each outlet's (min, max)."""
    out: dict[str, dict] = {}
    for c in event.get("casualties", ()):
        low, high = c["min"], c.get("max") or c["min"]
        kind = out.setdefault(c["kind"], {"min": low, "max": high, "by_outlet": {}})
        kind["min"], kind["max"] = min(kind["min"], low), max(kind["max"], high)
        outlet = outlets.get(c.get("story_id", ""), c.get("story_id") or "?")
        was = kind["by_outlet"].get(outlet)
        kind["by_outlet"][outlet] = [min(was[0], low), max(was[1], high)] if was else [low, high]
    return out


def passages(event: dict, outlets: dict[str, str]) -> list[dict]:
    """Per story (first source first), its evidence sentences in story order with their offsets, and
    where in each sentence its casualty phrases stand (``highlights``: [start, end] in the sentence)."""
    phrases: dict[str, list[str]] = {}
    for c in event.get("casualties", ()):
        if c.get("text"):
            phrases.setdefault(c.get("story_id", ""), []).append(c["text"])
    stories: dict[str, list[dict]] = {}
    for e in event.get("evidence", ()):
        stories.setdefault(e.get("story_id", ""), []).append(e)
    urls = {s["story_id"]: s["url"] for s in event.get("sources", ()) if s.get("story_id")}
    order = {s["story_id"]: i for i, s in enumerate(event.get("sources", ())) if s.get("story_id")}
    out = []
    for story_id in sorted(stories, key=lambda s: (order.get(s, len(order)), s)):
        sentences = []
        for e in sorted(stories[story_id], key=lambda e: (e.get("start", 0), e.get("end", 0))):
            marks = []
            for phrase in phrases.get(story_id, ()):
                at = e["text"].find(phrase)
                if at >= 0:
                    marks.append([at, at + len(phrase)])
            sentences.append({"text": e["text"], "start": e.get("start"), "end": e.get("end"),
                              "highlights": sorted(marks)})
        out.append({"story_id": story_id, "outlet": outlets.get(story_id), "url": urls.get(story_id),
                    "sentences": sentences})
    return out


class EventViews:
    """Reads one event's full story from the store (read-only; either database)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def reports_of(self, event_id: str) -> list[dict]:
        """The reports merged into event ``event_id`` (its cluster), as they are stored."""
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT payload FROM reports WHERE cluster_id = :id ORDER BY event_id"),
                                {"id": event_id}).scalars().all()
        return [json.loads(p) for p in rows]

    def view(self, event: dict) -> dict:
        """``event`` (a merged event as stored) with its full story added (see the module)."""
        outlets = _outlets(event)
        sources = sorted(event.get("sources", ()), key=lambda s: (s.get("published_at") or "9999", s["url"]))
        reasons = merge_reasons(self.reports_of(event["event_id"]), outlets)
        return {**event, "sources": sources, "figures": figures(event, outlets),
                "passages": passages(event, outlets), "merged": [asdict(r) for r in reasons]}
