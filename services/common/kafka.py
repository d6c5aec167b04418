"""A thin layer over kafka-python: client construction, topic creation, publishing and a
consume-process-commit loop that every consuming service shares.

Delivery rules (DESIGN.md): producers are idempotent with ``acks=all``; a consumer commits an
offset only after the work for it is durable; poison input goes to the dead-letter topic and
the partition moves on. Transactions are deliberately not used.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kafka import (
    ConsumerRebalanceListener,
    KafkaAdminClient,
    KafkaConsumer,
    KafkaProducer,
    OffsetAndMetadata,
    TopicPartition,
)
from kafka.admin import NewTopic
from kafka.errors import CommitFailedError, KafkaError, RebalanceInProgressError, TopicAlreadyExistsError
from pydantic import ValidationError

from .contracts import ALL_TOPICS, DEADLETTER_TOPIC, DeadLetter
from .settings import CommonSettings

log = logging.getLogger(__name__)

Offsets = dict[TopicPartition, int]


class BrokerUnavailable(RuntimeError):
    """The broker could not be reached within the allowed time."""


def client_config(settings: CommonSettings, role: str) -> dict:
    if not settings.kafka_bootstrap:
        raise BrokerUnavailable("no Kafka bootstrap configured (WIREWATCH_KAFKA_BOOTSTRAP)")
    cfg: dict = {
        "bootstrap_servers": settings.kafka_bootstrap.split(","),
        "client_id": f"{settings.kafka_client_id}-{role}",
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_sasl_mechanism:
        cfg["sasl_mechanism"] = settings.kafka_sasl_mechanism
        cfg["sasl_plain_username"] = settings.kafka_sasl_username
        cfg["sasl_plain_password"] = (
            settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else None
        )
    return cfg


def make_producer(settings: CommonSettings, role: str) -> KafkaProducer:
    return KafkaProducer(
        **client_config(settings, role),
        enable_idempotence=True,  # explicit: DESIGN.md requires it, whatever the client default
        acks="all",
        linger_ms=5,
        retries=2**31 - 1,
        delivery_timeout_ms=120_000,
        max_in_flight_requests_per_connection=5,
        compression_type=None,
    )


def make_consumer(settings: CommonSettings, role: str, group_id: str, topics: Sequence[str]) -> KafkaConsumer:
    consumer = KafkaConsumer(
        **client_config(settings, role),
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        max_poll_records=settings.kafka_max_poll_records,
        max_poll_interval_ms=300_000,
    )
    consumer.subscribe(list(topics))
    return consumer


def ensure_topics(settings: CommonSettings, topics: Iterable[str] = ALL_TOPICS, timeout_s: float = 30.0) -> None:
    """Create the topics if they are missing. Idempotent; retried until the broker answers."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            admin = KafkaAdminClient(**client_config(settings, "admin"), request_timeout_ms=5000)
        except KafkaError as exc:
            last_error = exc
            time.sleep(0.2)
            continue
        try:
            existing = set(admin.list_topics())
            missing = [t for t in topics if t not in existing]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):  # a replica created it first
                    admin.create_topics(
                        [NewTopic(t, settings.kafka_partitions, 1) for t in missing], timeout_ms=10_000
                    )
                log.info("created topics %s", ", ".join(missing))
            return
        except KafkaError as exc:
            last_error = exc
            time.sleep(0.2)
        finally:
            admin.close()
    raise BrokerUnavailable(f"could not create topics within {timeout_s:.0f}s: {last_error}")


class Publisher:
    """Sends JSON messages and remembers the acknowledged offsets, so a caller can commit its own
    progress only after every record it sent has been acknowledged. ``send`` and ``flush`` may be
    called from a consume loop and its writer thread alike; a ``flush`` waits for the records it
    takes, which are all those sent before it that no other thread's ``flush`` has taken."""

    def __init__(self, producer: KafkaProducer, flush_timeout_s: float = 60.0) -> None:
        self.producer = producer
        self.flush_timeout_s = flush_timeout_s
        self._pending: list = []
        self._lock = threading.Lock()
        self.acked: Offsets = {}

    def send(self, topic: str, key: str, value: bytes) -> None:
        future = self.producer.send(topic, key=key.encode("utf-8"), value=value)
        with self._lock:
            self._pending.append(future)

    def flush(self) -> int:
        """Block until every pending record is acknowledged; raise if any failed."""
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending:
            return 0
        self.producer.flush(timeout=self.flush_timeout_s)
        for fut in pending:
            meta = fut.get(timeout=self.flush_timeout_s)  # raises the delivery error, if any
            tp = TopicPartition(meta.topic, meta.partition)
            with self._lock:
                self.acked[tp] = max(self.acked.get(tp, 0), meta.offset + 1)
        return len(pending)

    def close(self, timeout_s: float = 10.0) -> None:
        try:
            self.producer.close(timeout=timeout_s)
        except Exception:  # closing must never mask the reason we are closing
            log.debug("producer close failed", exc_info=True)


def dead_letter(
    publisher: Publisher,
    stage: str,
    record,
    error: BaseException,
    attempts: int,
) -> None:
    message = DeadLetter(
        stage=stage,
        source_topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key.decode("utf-8", "replace") if record.key else None,
        value=(record.value or b"").decode("utf-8", "replace"),
        error_type=type(error).__name__,
        error=str(error)[:4000],
        attempts=attempts,
        failed_at=datetime.now(UTC),
    )
    publisher.send(DEADLETTER_TOPIC, message.key or f"{record.topic}:{record.partition}:{record.offset}",
                   message.to_bytes())


class PoisonMessage(Exception):
    """Raised by a handler for input that can never succeed: dead-letter at once, no retries."""


@dataclass
class LoopStats:
    consumed: int = 0
    dead_lettered: int = 0
    batches: int = 0
    positions: Offsets = field(default_factory=dict)


class _DrainOnRevoke(ConsumerRebalanceListener):
    def __init__(self, loop: ConsumeLoop) -> None:
        self.loop = loop

    def on_partitions_revoked(self, revoked) -> None:
        if revoked:
            self.loop.drain()

    def on_partitions_assigned(self, assigned) -> None:
        pass


class ConsumeLoop:
    """poll -> handle each record -> flush the producer -> do the durable work -> commit.

    ``handle(record)`` processes one record; ``PoisonMessage`` and pydantic ``ValidationError``
    dead-letter at once, any other exception is retried up to ``max_attempts`` times and then
    dead-lettered. ``on_batch_done()`` runs after the producer flush and before the commit (the
    store commits its database transaction there). ``stop`` is a threading.Event the signal
    handler sets; the loop then finishes the batch in hand, commits and returns.

    ``write_behind`` replaces ``on_batch_done`` for a stage whose durable work is mostly waiting
    on a database: called in the loop's thread, it takes what the batch collected and returns the
    job that writes it. The job runs on one writer thread while the loop fetches and handles the
    next batch; its offsets are committed only after it has succeeded, and jobs run one at a time
    in batch order. While a job is running, the batches handled meanwhile (up to ``max_collected``
    records) are collected into the next job, so under load the database sees fewer, larger
    transactions. A failed job raises from a later ``run_batch`` with its offsets uncommitted,
    exactly as a failed ``on_batch_done`` does.
    """

    def __init__(
        self,
        *,
        stage: str,
        consumer: KafkaConsumer,
        publisher: Publisher,
        handle: Callable,
        on_batch_done: Callable[[], None] | None = None,
        on_progress: Callable[[], None] | None = None,
        max_attempts: int = 3,
        metrics=None,
        write_behind: Callable[[], Callable[[], None]] | None = None,
        max_collected: int = 10_000,
    ) -> None:
        self.stage = stage
        self.consumer = consumer
        self.publisher = publisher
        self.handle = handle
        self.on_batch_done = on_batch_done
        self.on_progress = on_progress
        self.max_attempts = max_attempts
        self.metrics = metrics
        self.stats = LoopStats()
        self.write_behind = write_behind
        self._writer = ThreadPoolExecutor(1, thread_name_prefix=f"{stage}-writer") if write_behind else None
        self._in_flight: tuple[Future, dict, int] | None = None
        self.max_collected = max_collected
        self._collected: dict[TopicPartition, OffsetAndMetadata] = {}
        self._collected_count = 0
        self._failed: BaseException | None = None
        if write_behind is not None and consumer.subscription():
            # what was handled for a partition must be written and committed before the partition
            # goes to another member, or the new owner could write older versions after ours
            consumer.subscribe(topics=sorted(consumer.subscription()), listener=_DrainOnRevoke(self))

    def _process(self, record) -> None:
        for attempt in range(1, self.max_attempts + 1):
            try:
                self.handle(record)
                return
            except (PoisonMessage, ValidationError, UnicodeDecodeError) as exc:
                self._dead_letter(record, exc, attempt)
                return
            except Exception as exc:
                if attempt == self.max_attempts:
                    self._dead_letter(record, exc, attempt)
                    return
                log.warning("%s: attempt %d on %s[%d]@%d failed: %s", self.stage, attempt,
                            record.topic, record.partition, record.offset, exc)
                time.sleep(min(0.1 * 2**attempt, 2.0))

    def _dead_letter(self, record, exc: BaseException, attempts: int) -> None:
        log.error("%s: dead-lettering %s[%d]@%d after %d attempt(s): %s: %s", self.stage, record.topic,
                  record.partition, record.offset, attempts, type(exc).__name__, exc)
        dead_letter(self.publisher, self.stage, record, exc, attempts)
        self.stats.dead_lettered += 1
        if self.metrics is not None:
            self.metrics.dead_lettered.labels(reason=type(exc).__name__).inc()

    def run_batch(self, timeout_ms: int = 500) -> int:
        self._refuse_after_failure()
        batch = self.consumer.poll(timeout_ms=timeout_ms)
        if self.on_progress:
            self.on_progress()
        if not batch:
            self.drain()
            self._record_positions({})
            return 0
        commit: dict[TopicPartition, OffsetAndMetadata] = {}
        count = 0
        for tp, records in batch.items():
            for record in records:
                self._process(record)
                count += 1
            commit[tp] = OffsetAndMetadata(records[-1].offset + 1, "", -1)
        self.publisher.flush()
        if self._writer is not None:
            self._collected.update(commit)  # offsets only grow within a partition
            self._collected_count += count
            busy = self._in_flight is not None and not self._in_flight[0].done()
            if not busy or self._collected_count >= self.max_collected:
                self.settle()
                self._submit()
            return count
        if self.on_batch_done:
            self.on_batch_done()
        self._commit(commit, count)
        return count

    def _submit(self) -> None:
        if self._collected_count:
            job = self.write_behind()
            self._in_flight = (self._writer.submit(job), self._collected, self._collected_count)
            self._collected, self._collected_count = {}, 0

    def settle(self) -> None:
        """Wait for the write in flight, if any, and commit its offsets (write-behind mode)."""
        if self._in_flight is None:
            return
        future, commit, count = self._in_flight
        self._in_flight = None
        try:
            future.result()  # a failed write raises here, before its offsets are committed
        except BaseException as exc:
            # what was collected since must not be committed past the lost batch: only a restart,
            # which replays from the last commit, may go on
            self._failed = exc
            self._collected, self._collected_count = {}, 0
            raise
        self._commit(commit, count)

    def drain(self) -> None:
        """Write and commit everything handled so far (write-behind mode)."""
        self._refuse_after_failure()
        self.settle()
        self._submit()
        self.settle()

    def _refuse_after_failure(self) -> None:
        if self._failed is not None:
            raise RuntimeError(f"{self.stage}: a write failed; restart the consumer") from self._failed

    def _commit(self, commit: dict, count: int) -> None:
        try:
            self.consumer.commit(commit)
        except (CommitFailedError, RebalanceInProgressError) as exc:
            # the group rebalanced while the batch was being written: the partitions' new owner
            # replays from the last commit, and the writes are idempotent
            log.warning("%s: offsets not committed, the group rebalanced: %s", self.stage, exc)
            return
        self._record_positions(commit)
        self.stats.consumed += count
        self.stats.batches += 1

    def _record_positions(self, committed: dict) -> None:
        """Publish how far each assigned partition is done, for ``caught_up`` (read from other threads).
        Partitions without new records count too: their committed position may already be past a target."""
        positions = dict(self.stats.positions)
        for tp, om in committed.items():
            positions[tp] = om.offset
        if self._collected_count or self._in_flight is not None:
            # the consumer's position counts records handled but not yet written
            self.stats.positions = positions
            return
        try:
            for tp in self.consumer.assignment():
                if tp not in committed:
                    positions[tp] = max(positions.get(tp, 0), self.consumer.position(tp, timeout_ms=1000) or 0)
        except KafkaError:
            pass
        self.stats.positions = positions

    def caught_up(self, targets: Offsets) -> bool:
        """True when every partition in ``targets`` is done up to its target offset.

        Tansu under-reports end offsets for multi-record batches, so "done" is judged against the
        offsets the upstream producer had acknowledged, not against the broker's high watermark.
        Safe to call from another thread: it reads only the positions the loop published."""
        positions = self.stats.positions
        return all(positions.get(tp, -1) >= target for tp, target in targets.items())

    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set; the batch in hand is finished and committed first."""
        while not stop.is_set():
            self.run_batch()
        self.drain()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.shutdown(wait=True)  # a write in flight that was never settled is not committed
        try:
            self.consumer.close(autocommit=False, timeout_ms=5000)
        except Exception:
            log.debug("consumer close failed", exc_info=True)
