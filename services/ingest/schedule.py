"""When to poll a feed next: adaptive to how often it changes, bounded, jittered, with backoff."""

from __future__ import annotations

import random
import re

PARKED_RETRY_S = 24 * 3600.0
PARK_AFTER_PARSE_FAILURES = 5
MIN_IDLE_S = 0.05  # the shortest wait between two cycles: a feed due but not claimable cannot spin the loop

_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)", re.IGNORECASE)


def jitter(seconds: float, fraction: float = 0.1, rng: random.Random | None = None) -> float:
    """Spread polls by +-fraction so feeds added together do not fire in lockstep forever."""
    r = (rng or random).uniform(-fraction, fraction)
    return max(0.0, seconds * (1.0 + r))


def idle_s(next_due_at: float | None, now: float, tick_s: float) -> float:
    """The wait before the next poll cycle: until ``next_due_at`` (the earliest feed no lease holds is
    due), at most ``tick_s`` (a feed added or released elsewhere is seen within it), at least ``MIN_IDLE_S``."""
    if next_due_at is None:
        return tick_s
    return max(MIN_IDLE_S, min(tick_s, next_due_at - now))


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def max_age_s(cache_control: str | None) -> float | None:
    if not cache_control:
        return None
    m = _MAX_AGE.search(cache_control)
    return float(m.group(1)) if m else None


def next_interval(current: float | None, default: float, changed: bool, *, minimum: float, maximum: float,
                  server_hint_s: float | None = None) -> float:
    """Shrink the interval when the feed changed, stretch it when it did not.

    ``server_hint_s`` (Cache-Control max-age, RSS <ttl>) is a floor: the publisher asked us not to
    come back sooner, and we respect it within our own bounds.
    """
    interval = current or default
    interval = interval * 0.7 if changed else interval * 1.3
    if server_hint_s is not None:
        interval = max(interval, server_hint_s)
    return clamp(interval, minimum, maximum)


def backoff(errors: int, base: float, maximum: float, retry_after_s: float | None = None) -> float:
    """Exponential backoff with full jitter after ``errors`` consecutive failures."""
    delay = min(maximum, base * (2 ** max(0, errors - 1)))
    delay = random.uniform(delay / 2, delay)
    if retry_after_s is not None:
        delay = max(delay, retry_after_s)
    return delay
