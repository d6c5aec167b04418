"""When a feed is polled next: adaptive interval, server hints, jitter and backoff."""

from __future__ import annotations

import random

import pytest

from services.ingest import schedule


def test_a_changing_feed_is_polled_sooner_and_a_quiet_one_later():
    assert schedule.next_interval(1000, 900, True, minimum=60, maximum=3600) == pytest.approx(700)
    assert schedule.next_interval(1000, 900, False, minimum=60, maximum=3600) == pytest.approx(1300)


def test_a_new_feed_starts_from_the_default_interval():
    assert schedule.next_interval(None, 900, False, minimum=60, maximum=3600) == pytest.approx(1170)


def test_the_interval_stays_within_its_bounds():
    assert schedule.next_interval(70, 900, True, minimum=60, maximum=3600) == 60
    assert schedule.next_interval(3500, 900, False, minimum=60, maximum=3600) == 3600


def test_a_server_hint_is_a_floor_within_our_bounds():
    assert schedule.next_interval(1000, 900, True, minimum=60, maximum=3600, server_hint_s=1800) == 1800
    assert schedule.next_interval(1000, 900, True, minimum=60, maximum=3600, server_hint_s=99999) == 3600
    assert schedule.next_interval(1000, 900, True, minimum=60, maximum=3600, server_hint_s=10) == pytest.approx(700)


@pytest.mark.parametrize(("header", "expected"), [
    ("public, max-age=600", 600.0), ("MAX-AGE = 30", 30.0), ("no-cache", None), ("", None), (None, None)])
def test_max_age_is_read_from_cache_control(header, expected):
    assert schedule.max_age_s(header) == expected


def test_jitter_spreads_within_its_fraction_and_never_below_zero():
    rng = random.Random(7)
    values = [schedule.jitter(100, 0.1, rng) for _ in range(500)]
    assert all(90 <= v <= 110 for v in values)
    assert max(values) - min(values) > 10  # it does spread
    assert schedule.jitter(0, 0.5, rng) == 0


def test_backoff_doubles_per_error_up_to_the_maximum():
    random.seed(3)
    for errors, ceiling in [(1, 60), (2, 120), (3, 240), (10, 1000)]:
        delays = [schedule.backoff(errors, 60, 1000) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), (errors, min(delays), max(delays))


def test_backoff_waits_at_least_what_the_server_asked():
    assert schedule.backoff(1, 60, 1000, retry_after_s=900) == 900


def test_the_wait_between_cycles_ends_when_the_next_feed_is_due_within_its_bounds():
    assert schedule.idle_s(None, 100.0, 1.0) == 1.0  # no feed to wait for: the tick
    assert schedule.idle_s(100.3, 100.0, 1.0) == pytest.approx(0.3)
    assert schedule.idle_s(105.0, 100.0, 1.0) == 1.0  # never longer than the tick
    assert schedule.idle_s(90.0, 100.0, 1.0) == schedule.MIN_IDLE_S  # overdue: at once, but never a spin
