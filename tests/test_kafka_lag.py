"""Consumer lag: end offset minus the group's position per assigned partition, from the high
watermarks fetches carry, with a bounded end-offsets request only for partitions not fetched yet;
and against a real broker, a backlog that shows and then drains to 0."""

from __future__ import annotations

from kafka import TopicPartition
from kafka.errors import KafkaTimeoutError
from prometheus_client import CollectorRegistry

from services.common.contracts import STORIES_TOPIC
from services.common.kafka import ConsumeLoop, Publisher, make_consumer, make_producer
from services.common.kafka.lag import ConsumerLag
from services.common.metrics import for_registry

A, B, C = (TopicPartition("t", p) for p in range(3))


class FakeConsumer:
    """What ``ConsumerLag`` asks of a KafkaConsumer."""

    def __init__(self, assigned, highwater, end_offsets=None, fail=False) -> None:
        self.config = {"group_id": "g"}
        self.assigned = set(assigned)
        self.high = dict(highwater)
        self.ends = dict(end_offsets or {})
        self.fail = fail
        self.asked: list[list[TopicPartition]] = []

    def assignment(self):
        return self.assigned

    def highwater(self, tp):
        return self.high.get(tp)

    def end_offsets(self, partitions, timeout_ms=None):
        assert timeout_ms is not None, "an end-offsets request must be bounded"
        self.asked.append(sorted(partitions))
        if self.fail:
            raise KafkaTimeoutError("broker away")
        return {tp: self.ends[tp] for tp in partitions}


def _samples(registry) -> dict[tuple[str, str, str], float]:
    return {(s.labels["group"], s.labels["topic"], s.labels["partition"]): s.value
            for m in registry.collect() if m.name == "wirewatch_kafka_consumer_lag" for s in m.samples}


def test_lag_is_end_minus_position_from_highwater_then_end_offsets():
    registry = CollectorRegistry()
    consumer = FakeConsumer([A, B], highwater={A: 10}, end_offsets={B: 7})
    lag = ConsumerLag(consumer, for_registry(registry).consumer_lag)  # type: ignore[arg-type]
    assert lag.refresh({A: 4, B: 7}) == {A: 6, B: 0}
    assert consumer.asked == [[B]]  # only the partition no fetch has answered for costs a request
    assert _samples(registry) == {("g", "t", "0"): 6, ("g", "t", "1"): 0}


def test_an_under_reported_end_offset_counts_as_no_lag():
    registry = CollectorRegistry()
    lag = ConsumerLag(FakeConsumer([A], highwater={A: 3}), for_registry(registry).consumer_lag)  # type: ignore[arg-type]
    assert lag.refresh({A: 9}) == {A: 0}


def test_an_unreachable_broker_keeps_the_last_figure_and_a_revoked_partition_goes():
    registry = CollectorRegistry()
    consumer = FakeConsumer([A, B], highwater={A: 10, B: 5})
    lag = ConsumerLag(consumer, for_registry(registry).consumer_lag)  # type: ignore[arg-type]
    lag.refresh({A: 0, B: 0})
    consumer.assigned = {A, C}
    consumer.high = {}
    consumer.fail = True
    lag.refresh({A: 2, C: 0})
    assert _samples(registry) == {("g", "t", "0"): 10}  # B is another member's now; C is not known yet
    lag.clear()
    assert _samples(registry) == {}


def test_refreshes_at_most_once_an_interval():
    now = [100.0]
    consumer = FakeConsumer([B], highwater={}, end_offsets={B: 5})
    lag = ConsumerLag(consumer, for_registry(CollectorRegistry()).consumer_lag, interval_s=10,  # type: ignore[arg-type]
                      clock=lambda: now[0])
    lag.maybe_refresh({B: 0})
    now[0] += 5
    lag.maybe_refresh({B: 0})
    now[0] += 6
    lag.maybe_refresh({B: 0})
    assert len(consumer.asked) == 2


class _LoopMetrics:
    def __init__(self, registry) -> None:
        from prometheus_client import Counter

        self.dead_lettered = Counter("t_deadletter_total", "dead letters", ["reason"], registry=registry)
        self.consumer_lag = for_registry(registry).consumer_lag


def test_the_loop_reports_a_backlog_and_then_zero(kafka_settings):
    # one record a produce request: Tansu's end offsets are wrong after multi-record batches
    upstream = Publisher(make_producer(kafka_settings, "lag-test-upstream"))
    for i in range(6):
        upstream.send(STORIES_TOPIC, "one-key", f"v{i}".encode())  # one key: one partition
        upstream.flush()
    upstream.close()
    registry = CollectorRegistry()
    settings = kafka_settings.model_copy(update={"kafka_max_poll_records": 1})
    pub = Publisher(make_producer(settings, "lag-test"))
    loop = ConsumeLoop(stage="test", consumer=make_consumer(settings, "lag-test", "g-lag", [STORIES_TOPIC]),
                       publisher=pub, handle=lambda r: None, metrics=_LoopMetrics(registry))
    assert loop.lag is not None
    loop.lag.interval_s = 0
    seen = []
    for _ in range(60):
        if loop.run_batch(timeout_ms=300):
            seen.append(sum(_samples(registry).values()))
        if loop.stats.consumed == 6:
            break
    loop.run_batch(timeout_ms=300)  # an empty poll after the last record: every partition's position known
    samples = _samples(registry)
    loop.close()
    pub.close()
    assert seen[0] == 5 and seen == sorted(seen, reverse=True), seen
    assert samples and set(samples.values()) == {0}
    assert {(g, t) for g, t, _ in samples} == {("g-lag", STORIES_TOPIC)}
