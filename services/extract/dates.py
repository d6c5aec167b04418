"""Event dates from news prose, resolved against the story's publication time.

Handles weekday references ("on Sunday", "Tuesday night", "early Wednesday" -> the most
recent such day on or before publication), "yesterday"/"today"/"last night", "in the past
24 hours"/"past two days"/"this week" (week precision), explicit dates ("Jan. 29", "29 January
2020", "2020-01-29", "August 8") and Xinhua-style datelines ("KABUL, Jan. 29 (Xinhua)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}
_MON = {**MONTHS, **{m[:3]: i for m, i in MONTHS.items()}, "sept": 9}
_MONTH_RE = r"(?:" + "|".join(sorted(_MON, key=len, reverse=True)) + r")\.?"

_WEEKDAY_RE = re.compile(r"\b(" + "|".join(WEEKDAYS) + r")\b", re.IGNORECASE)
_RELATIVE_RE = re.compile(
    r"\b(yesterday|today|last night|this morning|tonight|the day before yesterday|earlier this week|this week|"
    r"last week|(?:in |over |during )?the (?:past|last) (?:24|twenty-four|48|forty-eight) hours|"
    r"(?:in |over |during )?the (?:past|last) (?:two|three|few|couple of|2|3) days|"
    r"recent days|last month)\b", re.IGNORECASE)
# "June 29", "Jan. 29, 2020", "June 29-30 2019" (a span: its first day)
_EXPLICIT_MDY = re.compile(r"\b(" + _MONTH_RE + r")\s+(\d{1,2})(?:st|nd|rd|th)?(?:\s*(?:-|–|or|to|and)\s*\d{1,2})?"
                           r"(?:,?\s+(\d{4}))?\b", re.IGNORECASE)
# "29 January 2020", "12-April-2019", "29 or 30 June 2019" (either day: the first)
_EXPLICIT_DMY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?(?:\s*(?:-|–|or|to|and)\s*\d{1,2}(?:st|nd|rd|th)?)?"
                           r"(?:\s+|-)(?:of\s+)?(" + _MONTH_RE + r")(?:(?:,?\s+|-)(\d{4}))?\b", re.IGNORECASE)
# "27 05 2019", "27/05/2019", "05/27/2019": day first unless that cannot be
_NUMERIC = re.compile(r"(?<![\d/.-])(\d{1,2})([ /.])(\d{1,2})\2((?:19|20)\d{2})(?![\d/.-])")
# "(as) reported on June 30": the day of the report, the anchor of "the past 24 hours" beside it
_REPORTED = re.compile(r"\b(?:reported|announced|said|published|stated|released)\s+(?:on\s+)?$", re.IGNORECASE)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_YEAR = re.compile(r"\b(?:in\s+)?(" + _MONTH_RE + r")\s+(\d{4})\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:in|since|of|during|until|before|after)\s+((?:19|20)\d{2})\b", re.IGNORECASE)
# "KABUL, Jan. 29 (Xinhua) --": an upper-case place, a comma, a month and a day, near the top.
DATELINE = re.compile(r"\b[A-Z][A-Z .'-]{2,40},\s+((?i:" + _MONTH_RE + r"))\s+(\d{1,2})\b")


@dataclass(frozen=True)
class DateRef:
    day: date
    precision: str  # day | week | month
    start: int
    end: int
    text: str


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _nearest_past(month: int, day: int, ref: date, year: int | None) -> date | None:
    if year:
        return _safe_date(year, month, day)
    d = _safe_date(ref.year, month, day)
    if d and d > ref + timedelta(days=2):  # "Dec. 30" in a January story is last year
        d = _safe_date(ref.year - 1, month, day)
    return d


def find_dates(text: str, published: date) -> list[DateRef]:
    """Every date expression in ``text`` with its resolved day, in order of appearance.

    An explicit date given as the day of a report ("As reported on July 1 2019, over the past 24
    hours, ...") anchors the relative expressions of the same text; it dates the event itself only
    when nothing else does."""
    explicit = _explicit_dates(text, published)
    report = next((r for r in explicit if _REPORTED.search(text[max(0, r.start - 30):r.start])), None)
    anchor = report.day if report is not None else published
    out = explicit + _relative_dates(text, anchor)
    # a date after publication is metadata noise or a schedule, never the day something happened
    out = [r for r in out if r.day <= published + timedelta(days=1)]
    out.sort(key=lambda r: r.start)
    # an explicit "Jan. 29" and a weekday inside it cannot both stand; keep the longer span
    dedup: list[DateRef] = []
    for r in out:
        if dedup and r.start < dedup[-1].end:
            if (r.end - r.start) > (dedup[-1].end - dedup[-1].start):
                dedup[-1] = r
            continue
        dedup.append(r)
    if report is not None and len(dedup) > 1:
        dedup = [r for r in dedup if r is not report]
    return dedup


def _explicit_dates(text: str, published: date) -> list[DateRef]:
    out: list[DateRef] = []
    for m in _NUMERIC.finditer(text):
        a, b, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
        d = _safe_date(y, b, a) if a > 12 or b <= 12 else _safe_date(y, a, b)
        if d:
            out.append(DateRef(d, "day", m.start(), m.end(), m.group(0)))
    for m in _ISO.finditer(text):
        d = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d:
            out.append(DateRef(d, "day", m.start(), m.end(), m.group(0)))
    for rx, order in ((_EXPLICIT_MDY, "md"), (_EXPLICIT_DMY, "dm")):
        for m in rx.finditer(text):
            mon_s, day_s = (m.group(1), m.group(2)) if order == "md" else (m.group(2), m.group(1))
            mon = _MON.get(mon_s.lower().rstrip("."))
            if mon is None or (mon_s.lower().rstrip(".") == "may" and not m.group(3) and order == "md"
                               and not mon_s[0].isupper()):
                continue
            d = _nearest_past(mon, int(day_s), published, int(m.group(3)) if m.group(3) else None)
            if d:
                out.append(DateRef(d, "day", m.start(), m.end(), m.group(0)))
    return out


def _relative_dates(text: str, published: date) -> list[DateRef]:
    out: list[DateRef] = []
    for m in _WEEKDAY_RE.finditer(text):
        wd = WEEKDAYS.index(m.group(1).lower())
        delta = (published.weekday() - wd) % 7
        out.append(DateRef(published - timedelta(days=delta), "day", m.start(), m.end(), m.group(0)))
    for m in _RELATIVE_RE.finditer(text):
        phrase = m.group(1).lower()
        if phrase in ("today", "this morning", "tonight"):
            out.append(DateRef(published, "day", m.start(), m.end(), m.group(0)))
        elif phrase in ("yesterday", "last night"):
            out.append(DateRef(published - timedelta(days=1), "day", m.start(), m.end(), m.group(0)))
        elif phrase == "the day before yesterday":
            out.append(DateRef(published - timedelta(days=2), "day", m.start(), m.end(), m.group(0)))
        elif "24" in phrase or "twenty-four" in phrase:
            out.append(DateRef(published - timedelta(days=1), "day", m.start(), m.end(), m.group(0)))
        elif phrase == "last month":
            out.append(DateRef(published - timedelta(days=30), "month", m.start(), m.end(), m.group(0)))
        else:
            out.append(DateRef(published - timedelta(days=1), "week", m.start(), m.end(), m.group(0)))
    return out


_RECENT_DAYS = 8  # a sentence dated this many days before publication, or fewer, reports news


def is_background(sentence: str, published: date) -> bool:
    """A sentence anchored in an earlier period ("in September 2015", "since 2001") is history, unless it dates
    itself within the last week ("On 5 May 2020, workers demonstrated for the wages unpaid since 2018")."""
    if any(0 <= (published - d.day).days <= _RECENT_DAYS for d in _explicit_dates(sentence, published)
           if d.precision == "day"):
        return False
    for m in _MONTH_YEAR.finditer(sentence):
        mon = _MON.get(m.group(1).lower().rstrip("."))
        if mon and (int(m.group(2)), mon) < (published.year, published.month) and \
                (published.year * 12 + published.month) - (int(m.group(2)) * 12 + mon) > 1:
            return True
    for m in _YEAR.finditer(sentence):
        if int(m.group(1)) < published.year:
            return True
    return bool(re.search(r"\b(last year|years ago|a year ago|in the past, )\b", sentence, re.IGNORECASE))


def dateline_date(text: str, published: date) -> date | None:
    m = DATELINE.search(text[:300])
    if not m:
        return None
    mon = _MON.get(m.group(1).lower().rstrip("."))
    return _nearest_past(mon, int(m.group(2)), published, None) if mon else None


def date_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the explicit dates in ``text`` (their digits are not counts of anything)."""
    spans = [(r.start, r.end) for r in _explicit_dates(text, date(9999, 1, 1))]
    spans += [(m.start(), m.end()) for m in _YEAR.finditer(text)]
    return spans
