"""Quantiles of an exported Prometheus histogram, read from a service's /metrics page.

Guarantees: ``histogram_quantile`` answers as Prometheus's function of the same name does on the
cumulative buckets (linear interpolation inside the bucket the rank falls in, the lower bound of the
first bucket taken as 0, the largest finite bound when the rank falls in the +Inf bucket, NaN for
an empty histogram); ``read_histogram`` sums every series of one metric (all label sets) into one
set of cumulative buckets, as ``sum by (le)`` would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Histogram:
    """Cumulative buckets (upper bound -> count of observations at or below it), the count and sum."""

    buckets: tuple[tuple[float, float], ...]  # ascending bounds, the last one +Inf
    count: float
    total: float


def parse_histogram(body: str, name: str) -> Histogram:
    """The histogram ``name`` (without ``_bucket``) from a Prometheus text page; empty when absent."""
    cumulative: dict[float, float] = {}
    count = total = 0.0
    for family in text_string_to_metric_families(body):
        if family.name != name:
            continue
        for sample in family.samples:
            if sample.name == f"{name}_bucket":
                bound = float(sample.labels["le"])
                cumulative[bound] = cumulative.get(bound, 0.0) + sample.value
            elif sample.name == f"{name}_count":
                count += sample.value
            elif sample.name == f"{name}_sum":
                total += sample.value
    return Histogram(tuple(sorted(cumulative.items())), count, total)


def read_histogram(metrics_url: str, name: str, timeout_s: float = 5.0) -> Histogram:
    """``name`` as the service at ``metrics_url`` exports it now (raises httpx.HTTPError if it does not answer)."""
    return parse_histogram(httpx.get(metrics_url, timeout=timeout_s).text, name)


def histogram_quantile(q: float, hist: Histogram) -> float:
    """The ``q`` quantile (0..1) estimated from the buckets, as Prometheus's histogram_quantile."""
    if not hist.buckets or hist.buckets[-1][1] <= 0:
        return math.nan
    rank = q * hist.buckets[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, cumulative in hist.buckets:
        if cumulative >= rank:
            if math.isinf(bound):
                return lower_bound  # the rank is beyond the largest finite bound: that bound, as Prometheus
            if cumulative == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (cumulative - lower_count)
        lower_bound, lower_count = bound, cumulative
    return lower_bound
