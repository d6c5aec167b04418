"""Consumer lag per group and partition: the partition's end offset minus the group's position.

Refreshed by the consume loop at most every ``interval_s``, from what the consumer already knows:
the high watermark each fetch response carries (``KafkaConsumer.highwater``, no request) and the
positions the loop committed. Only a partition no fetch has answered for yet costs a request
(``end_offsets``, bounded wait); if that fails the partition keeps its last figure. A negative
difference (Tansu under-reports end offsets after multi-record batches) counts as 0.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from prometheus_client import Gauge

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 10.0
END_OFFSETS_TIMEOUT_MS = 1000


class ConsumerLag:
    """Keeps ``gauge`` (labels ``group``, ``topic``, ``partition``) at each assigned partition's lag;
    a partition that goes to another member is removed, so two members never both report it."""

    def __init__(self, consumer: KafkaConsumer, gauge: Gauge, interval_s: float = DEFAULT_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.consumer = consumer
        self.gauge = gauge
        self.group = str(consumer.config.get("group_id") or "")
        self.interval_s = interval_s
        self._clock = clock
        self._next = 0.0
        self._reported: set[TopicPartition] = set()

    def maybe_refresh(self, positions: Mapping[TopicPartition, int]) -> None:
        """``refresh`` if ``interval_s`` has passed since the last one."""
        now = self._clock()
        if now < self._next:
            return
        self._next = now + self.interval_s
        self.refresh(positions)

    def refresh(self, positions: Mapping[TopicPartition, int]) -> dict[TopicPartition, int]:
        """Set the gauge from ``positions`` (the next offset the group has to do, per partition) and
        the end offsets; returns the lags set."""
        assigned = set(self.consumer.assignment() or ())
        for tp in self._reported - assigned:
            self._remove(tp)
        ends = self._end_offsets([tp for tp in assigned if tp in positions])
        lags = {tp: max(0, end - positions[tp]) for tp, end in ends.items()}
        for tp, lag in lags.items():
            self.gauge.labels(group=self.group, topic=tp.topic, partition=str(tp.partition)).set(lag)
            self._reported.add(tp)
        return lags

    def _end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        ends: dict[TopicPartition, int] = {}
        unknown = []
        for tp in partitions:
            high = self.consumer.highwater(tp)
            if high is None:
                unknown.append(tp)
            else:
                ends[tp] = high
        if unknown:
            try:
                ends.update(self.consumer.end_offsets(unknown, timeout_ms=END_OFFSETS_TIMEOUT_MS))
            except KafkaError as exc:  # the broker is away: the last figures stand until it is back
                log.debug("consumer lag: end offsets of %d partition(s) unknown: %s", len(unknown), exc)
        return ends

    def _remove(self, tp: TopicPartition) -> None:
        with contextlib.suppress(KeyError):
            self.gauge.remove(self.group, tp.topic, str(tp.partition))
        self._reported.discard(tp)

    def clear(self) -> None:
        """Stop reporting every partition (the consumer is closing)."""
        for tp in list(self._reported):
            self._remove(tp)
