"""The consume loop against a real Tansu broker: commits follow durable work, poison and
exhausted retries are dead-lettered, write-behind commits only written batches, a revoked
partition is drained first, a commit the frozen broker times out is retried, not fatal, and
``caught_up`` tells when upstream's records are done."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

import pytest
from kafka import KafkaConsumer, TopicPartition

from services.common.contracts import DEADLETTER_TOPIC, STORIES_TOPIC, DeadLetter
from services.common.kafka import (
    ConsumeLoop,
    PoisonMessage,
    Publisher,
    WriteFailed,
    client_config,
    make_consumer,
    make_producer,
)

TOPIC = STORIES_TOPIC  # the loop is topic-agnostic; an existing topic saves creating one


def _produce(settings, values: list[bytes], keys: list[str] | None = None) -> Publisher:
    pub = Publisher(make_producer(settings, "loop-test-upstream"))
    for i, value in enumerate(values):
        pub.send(TOPIC, keys[i] if keys else f"k{i}", value)
    pub.flush()
    return pub


def _committed(settings, group: str) -> int:
    consumer = KafkaConsumer(**client_config(settings, "loop-test-offsets"), group_id=group,
                             enable_auto_commit=False)
    total = sum(consumer.committed(TopicPartition(TOPIC, p)) or 0 for p in range(settings.kafka_partitions))
    consumer.close()
    return total


def _read_all(settings, topic: str, timeout_s: float = 4.0) -> list:
    consumer = KafkaConsumer(**client_config(settings, "loop-test-reader"), enable_auto_commit=False)
    consumer.assign([TopicPartition(topic, p) for p in range(settings.kafka_partitions)])
    consumer.seek_to_beginning()
    out, deadline = [], time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for records in consumer.poll(300).values():
            out += records
    consumer.close()
    return out


def _loop(settings, group: str, handle, **kwargs) -> tuple[ConsumeLoop, Publisher]:
    pub = Publisher(make_producer(settings, "loop-test"))
    loop = ConsumeLoop(stage="test", consumer=make_consumer(settings, "loop-test", group, [TOPIC]),
                       publisher=pub, handle=handle, max_attempts=3, **kwargs)
    return loop, pub


def _run_until(loop: ConsumeLoop, done, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done() and time.monotonic() < deadline:
        loop.run_batch(timeout_ms=300)
    assert done(), "the loop did not get there in time"


def test_each_record_is_handled_once_and_committed(kafka_settings):
    _produce(kafka_settings, [f"v{i}".encode() for i in range(20)]).close()
    seen: list[bytes] = []
    loop, pub = _loop(kafka_settings, "g-plain", lambda r: seen.append(r.value))
    _run_until(loop, lambda: loop.stats.consumed == 20)
    loop.close()
    pub.close()
    assert sorted(seen) == sorted(f"v{i}".encode() for i in range(20))
    assert _committed(kafka_settings, "g-plain") == 20 and loop.stats.dead_lettered == 0


def test_poison_is_dead_lettered_at_once_and_failures_after_the_last_retry(kafka_settings):
    _produce(kafka_settings, [b"poison", b"flaky", b"broken", b"fine"], keys=["p", "f", "b", "ok"]).close()
    attempts: dict[bytes, int] = {}

    def handle(record) -> None:
        attempts[record.value] = attempts.get(record.value, 0) + 1
        if record.value == b"poison":
            raise PoisonMessage("never valid")
        if record.value == b"flaky" and attempts[record.value] < 3:
            raise ConnectionError("transient")
        if record.value == b"broken":
            raise RuntimeError("always fails")

    loop, pub = _loop(kafka_settings, "g-poison", handle)
    _run_until(loop, lambda: loop.stats.consumed == 4)
    loop.close()
    pub.close()
    assert attempts == {b"poison": 1, b"flaky": 3, b"broken": 3, b"fine": 1}
    dead = {d.key: d for d in (DeadLetter.from_bytes(r.value) for r in _read_all(kafka_settings, DEADLETTER_TOPIC))}
    assert set(dead) == {"p", "b"} and loop.stats.dead_lettered == 2
    assert (dead["p"].attempts, dead["p"].error_type) == (1, "PoisonMessage")
    assert (dead["b"].attempts, dead["b"].error_type, dead["b"].error) == (3, "RuntimeError", "always fails")
    assert dead["b"].stage == "test" and dead["b"].source_topic == TOPIC and dead["b"].offset is not None
    assert _committed(kafka_settings, "g-poison") == 4  # the partitions moved on past the dead letters


def test_write_behind_commits_a_batch_only_after_its_write_succeeded(kafka_settings):
    _produce(kafka_settings, [f"v{i}".encode() for i in range(30)]).close()
    collected: list[bytes] = []
    written: list[bytes] = []
    release = threading.Event()

    def detach():
        batch = list(collected)
        collected.clear()

        def job() -> None:
            release.wait(20)  # the writer is slow: the loop goes on handling meanwhile
            written.extend(batch)

        return job

    loop, pub = _loop(kafka_settings, "g-behind", lambda r: collected.append(r.value), write_behind=detach)
    deadline = time.monotonic() + 30
    handled = 0
    while handled < 30 and time.monotonic() < deadline:
        handled += loop.run_batch(timeout_ms=300)
    assert handled == 30
    assert written == [] and _committed(kafka_settings, "g-behind") == 0  # nothing durable, nothing committed
    release.set()
    loop.drain()
    assert sorted(written) == sorted(f"v{i}".encode() for i in range(30))
    assert _committed(kafka_settings, "g-behind") == 30 and loop.stats.consumed == 30
    loop.close()
    pub.close()


def test_a_failed_write_leaves_its_offsets_uncommitted_and_stops_the_loop(kafka_settings):
    _produce(kafka_settings, [f"v{i}".encode() for i in range(10)]).close()

    def detach():
        def job() -> None:
            raise OSError("database went away")

        return job

    loop, pub = _loop(kafka_settings, "g-fail", lambda r: None, write_behind=detach)
    with pytest.raises(OSError):
        _run_until(loop, lambda: False, timeout_s=15)
    with pytest.raises(WriteFailed):
        loop.run_batch(timeout_ms=100)  # a restart, not the next batch, may go on
    loop.close()
    pub.close()
    assert _committed(kafka_settings, "g-fail") == 0


def test_a_revoked_partition_is_written_and_committed_before_another_member_takes_it(kafka_settings):
    _produce(kafka_settings, [f"v{i}".encode() for i in range(200)]).close()
    handled = {"a": [], "b": []}
    pending = {"a": [], "b": []}

    small_batches = kafka_settings.model_copy(update={"kafka_max_poll_records": 5})

    def member(name: str) -> tuple[ConsumeLoop, Publisher]:
        def detach():
            batch = list(pending[name])
            pending[name].clear()
            return lambda: handled[name].extend(batch)

        def handle(record) -> None:
            time.sleep(0.02)  # slow enough that a's work is unfinished when b joins
            pending[name].append(record.value)

        return _loop(small_batches, "g-revoke", handle, write_behind=detach)

    a, pub_a = member("a")
    _run_until(a, lambda: len(pending["a"]) + len(handled["a"]) >= 20)
    b, pub_b = member("b")
    stop = threading.Event()
    thread = threading.Thread(target=a.run, args=(stop,))
    thread.start()
    deadline = time.monotonic() + 60
    while len(handled["a"]) + len(handled["b"]) < 200 and time.monotonic() < deadline:
        b.run_batch(timeout_ms=300)
    stop.set()
    thread.join(30)
    b.drain()
    for loop, pub in ((a, pub_a), (b, pub_b)):
        loop.close()
        pub.close()
    assert handled["b"], "b never got a partition"
    # b started where a's commits ended: not one record handled twice
    assert not set(handled["a"]) & set(handled["b"])
    assert sorted(handled["a"] + handled["b"]) == sorted(f"v{i}".encode() for i in range(200))


def test_caught_up_once_every_acknowledged_record_is_done(kafka_settings):
    upstream = _produce(kafka_settings, [f"v{i}".encode() for i in range(12)])
    targets = dict(upstream.acked)
    upstream.close()
    assert sum(targets.values()) == 12
    loop, pub = _loop(kafka_settings, "g-caught-up", lambda r: None)
    assert not loop.caught_up(targets)
    _run_until(loop, lambda: loop.caught_up(targets))
    assert loop.stats.consumed == 12
    assert not loop.caught_up({**targets, TopicPartition(TOPIC, 0): targets.get(TopicPartition(TOPIC, 0), 0) + 1})
    loop.close()
    pub.close()



def _thaw(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the broker may be gone by then
        os.kill(pid, signal.SIGCONT)


def test_a_commit_that_times_out_on_a_frozen_broker_is_counted_and_retried_not_fatal(broker, kafka_settings):
    _produce(kafka_settings, [f"v{i}".encode() for i in range(10)]).close()
    assert broker.process is not None
    frozen = threading.Event()

    def handle(record) -> None:
        if not frozen.is_set():  # SIGSTOP after the fetch: the batch's commit meets a broker that answers nothing
            frozen.set()
            os.kill(broker.process.pid, signal.SIGSTOP)
            threading.Timer(5.0, _thaw, (broker.process.pid,)).start()

    # short timeouts, so that the commit gives up while the broker is still frozen
    consumer = KafkaConsumer(**client_config(kafka_settings, "loop-test"), group_id="g-frozen",
                             enable_auto_commit=False, auto_offset_reset="earliest", session_timeout_ms=3000,
                             heartbeat_interval_ms=500, request_timeout_ms=3500)
    consumer.subscribe([TOPIC])
    pub = Publisher(make_producer(kafka_settings, "loop-test"))
    loop = ConsumeLoop(stage="test", consumer=consumer, publisher=pub, handle=handle)
    try:
        _run_until(loop, lambda: getattr(loop.stats, "commit_failures", 0) > 0, timeout_s=30)
        _run_until(loop, lambda: _committed(kafka_settings, "g-frozen") == 10, timeout_s=60)
    finally:
        _thaw(broker.process.pid)
        loop.close()
        pub.close()


def test_a_loop_closed_in_the_middle_of_its_group_join_does_not_hold_up_the_next_member(kafka_settings):
    loop, pub = _loop(kafka_settings, "g-mid-join", lambda r: None)
    loop.consumer.poll(timeout_ms=200)  # the join is in flight: SIGTERM right after a start
    assert loop.consumer.group_metadata().state == "<rebalancing>"
    loop.close()
    pub.close()
    successor = make_consumer(kafka_settings, "loop-test-successor", "g-mid-join", [TOPIC])
    deadline = time.monotonic() + 30  # Tansu held it for minutes when the first left mid-join
    while not successor.assignment() and time.monotonic() < deadline:
        successor.poll(timeout_ms=300)
    assigned = successor.assignment()
    successor.close()
    assert len(assigned) == kafka_settings.kafka_partitions
