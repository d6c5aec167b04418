"""bench/harness/quantiles.py: a histogram read from a real exposition page, quantiles as Prometheus."""

from __future__ import annotations

import math

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from bench.harness.quantiles import histogram_quantile, parse_histogram


def _page(values: list[float], buckets=(1, 2, 4), labels: list[str] | None = None) -> str:
    registry = CollectorRegistry()
    if labels:
        h = Histogram("demo_seconds", "demo", ["kind"], registry=registry, buckets=buckets)
        for i, v in enumerate(values):
            h.labels(kind=labels[i % len(labels)]).observe(v)
    else:
        plain = Histogram("demo_seconds", "demo", registry=registry, buckets=buckets)
        for v in values:
            plain.observe(v)
    return generate_latest(registry).decode()


def test_buckets_count_and_sum_come_from_the_page():
    hist = parse_histogram(_page([0.5, 1.5, 1.5, 3.0, 9.0]), "demo_seconds")
    assert hist.buckets == ((1.0, 1.0), (2.0, 3.0), (4.0, 4.0), (math.inf, 5.0))
    assert hist.count == 5 and hist.total == 15.5


def test_label_sets_are_summed_by_le():
    hist = parse_histogram(_page([0.5, 1.5, 1.5, 3.0], labels=["a", "b"]), "demo_seconds")
    assert hist.buckets == ((1.0, 1.0), (2.0, 3.0), (4.0, 4.0), (math.inf, 4.0))


def test_quantiles_interpolate_inside_the_bucket_like_prometheus():
    hist = parse_histogram(_page([0.5, 1.5, 1.5, 3.0]), "demo_seconds")
    # rank 2 of 4 falls in (1, 2] holding ranks 2..3: half-way into it
    assert histogram_quantile(0.5, hist) == 1.5
    assert histogram_quantile(0.25, hist) == 1.0
    # rank 3.8 falls in (2, 4] (ranks 3..4): 80 % of the way
    assert math.isclose(histogram_quantile(0.95, hist), 3.6)


def test_a_rank_in_the_inf_bucket_is_the_largest_finite_bound_and_empty_is_nan():
    hist = parse_histogram(_page([9.0, 9.0, 9.0]), "demo_seconds")
    assert histogram_quantile(0.5, hist) == 4.0
    assert math.isnan(histogram_quantile(0.5, parse_histogram(_page([]), "demo_seconds")))
    assert math.isnan(histogram_quantile(0.5, parse_histogram("", "demo_seconds")))
