"""The consume loop every consuming service shares: poll -> handle each record -> flush the
producer -> do the durable work -> commit.

Delivery rules (DESIGN.md): a consumer commits an offset only after the work for it is durable;
poison input goes to the dead-letter topic and the partition moves on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from kafka import KafkaConsumer, OffsetAndMetadata
from kafka.consumer.fetcher import ConsumerRecord
from kafka.consumer.subscription_state import AsyncConsumerRebalanceListener
from kafka.errors import CommitFailedError, KafkaError, RebalanceInProgressError
from kafka.structs import MemberState
from prometheus_client import Counter
from pydantic import ValidationError

from .deadletter import PoisonMessage, dead_letter
from .lag import ConsumerLag
from .publisher import Offsets, Publisher
from .writebehind import Batch, Commits, Job, WriteBehind

log = logging.getLogger(__name__)


class LoopMetrics(Protocol):
    """What the loop counts in a service's metrics: ``dead_lettered`` is a Counter labelled ``reason``;
    a ``consumer_lag`` Gauge (``services.common.metrics``), if the metrics have one, gets the lag."""

    @property
    def dead_lettered(self) -> Counter: ...


DEADLETTER_WRITE_FAILED = "deadletter_write_failed"  # the metric's reason when a dead letter was lost


@dataclass
class LoopStats:
    consumed: int = 0
    dead_lettered: int = 0
    dead_letters_lost: int = 0  # dead letters that could not be written (logged with the record's hash)
    commit_failures: int = 0  # commits that failed with the broker unreachable (retried with the next one)
    batches: int = 0
    positions: Offsets = field(default_factory=dict)


class _DrainOnRevoke(AsyncConsumerRebalanceListener):
    """Before a partition goes to another member, what was handled for it is written and committed.

    kafka-python 3 runs the listener on the consumer's IO thread, where the blocking
    ``consumer.commit`` is refused; so the commit is awaited there (``commit_async``). Waiting for
    the write itself blocks that thread, as the write must finish before the partition moves."""

    def __init__(self, loop: ConsumeLoop) -> None:
        self.loop = loop

    async def on_partitions_revoked(self, revoked) -> None:
        if not revoked:
            return
        for batch in self.loop.write_pending():
            try:
                await self.loop.consumer.commit_async(batch.commits)
            except KafkaError as exc:
                # the new owner replays from the last commit, and the writes are idempotent
                log.warning("%s: offsets not committed on revoke: %s", self.loop.stage, exc)
                continue
            self.loop.committed(batch, look_up_positions=False)  # a lookup would block this thread

    async def on_partitions_assigned(self, assigned) -> None:
        pass


class ConsumeLoop:
    """Consume, handle, flush, write, commit: a record's offset is committed only after everything
    its handler sent is acknowledged and its durable work (if any) has succeeded.

    ``handle(record)`` processes one record; ``PoisonMessage``, pydantic ``ValidationError`` and
    ``UnicodeDecodeError`` dead-letter at once, and so does a record over the size limit (the
    consumer's ``max_partition_fetch_bytes``) before any handler sees it; any other exception is retried up to
    ``max_attempts`` times and then dead-lettered. ``stop`` (for ``run``) is a threading.Event the
    signal handler sets; the loop then finishes the batch in hand, commits and returns. A dead
    letter that cannot be written is logged and counted (reason ``deadletter_write_failed``), and
    the loop commits past the record all the same: a poison record never blocks its partition.

    ``close`` leaves the group cleanly, completing a join in flight first (``finish_join``).

    ``write_behind``, for a stage whose durable work is mostly waiting on a database, is called in
    the loop's thread, takes what the batch collected and returns the job that writes it; see
    ``WriteBehind``. What was handled for a partition is written and committed before the partition
    goes to another group member (drain on revoke), so a new owner never writes older versions
    after ours.

    A commit that fails because the broker is unreachable, frozen or slow (any ``KafkaError`` but a
    rebalance) is logged, counted (``stats.commit_failures`` and the metrics' ``commit_failures``,
    if they have one) and never fatal: its offsets are kept and sent again with the next commit, or
    alone on the next idle poll, for the partitions still assigned. The work behind them is durable
    and idempotent, so offsets a restart loses only mean a replay.
    """

    def __init__(  # noqa: PLR0913 - keyword-only wiring of the loop's collaborators
        self,
        *,
        stage: str,
        consumer: KafkaConsumer,
        publisher: Publisher,
        handle: Callable[[ConsumerRecord], None],
        on_progress: Callable[[], None] | None = None,
        max_attempts: int = 3,
        metrics: LoopMetrics | None = None,
        write_behind: Callable[[], Job] | None = None,
        max_collected: int = 10_000,
    ) -> None:
        self.stage = stage
        self.consumer = consumer
        self.publisher = publisher
        self.handle = handle
        self.on_progress = on_progress
        self.max_attempts = max_attempts
        self.metrics = metrics
        self.stats = LoopStats()
        # the consumer's fetch size is the message size limit (clients.make_consumer sets both)
        self.max_message_bytes: int | None = consumer.config.get("max_partition_fetch_bytes")
        self._behind = WriteBehind(stage, write_behind, max_collected) if write_behind else None
        self._uncommitted = Batch({}, 0)  # offsets whose commit failed, to send again
        lag_gauge = getattr(metrics, "consumer_lag", None)
        self.lag = ConsumerLag(consumer, lag_gauge) if lag_gauge is not None else None
        if self._behind is not None and consumer.subscription():
            consumer.subscribe(topics=sorted(consumer.subscription()), listener=_DrainOnRevoke(self))

    def _process(self, record: ConsumerRecord) -> None:
        if self.max_message_bytes and len(record.value or b"") > self.max_message_bytes:
            # over what any producer of ours sends: refused before a handler spends time on it
            self._dead_letter(record, PoisonMessage(f"message of {len(record.value)} bytes is over the "
                                                    f"{self.max_message_bytes}-byte limit"), 1)
            return
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

    def _dead_letter(self, record: ConsumerRecord, exc: BaseException, attempts: int) -> None:
        log.error("%s: dead-lettering %s[%d]@%d after %d attempt(s): %s: %s", self.stage, record.topic,
                  record.partition, record.offset, attempts, type(exc).__name__, exc)
        written = dead_letter(self.publisher, self.stage, record, exc, attempts)
        self.stats.dead_lettered += 1
        if not written:
            self.stats.dead_letters_lost += 1
        if self.metrics is not None:
            reason = getattr(exc, "kind", None) or type(exc).__name__
            self.metrics.dead_lettered.labels(reason=reason if written else DEADLETTER_WRITE_FAILED).inc()

    def run_batch(self, timeout_ms: int = 500) -> int:
        """Poll once and handle what came; returns how many records were handled."""
        if self._behind is not None:
            self._behind.check()
        batch = self.consumer.poll(timeout_ms=timeout_ms)
        if self.on_progress:
            self.on_progress()
        if not batch:
            self.drain()
            self._record_positions({})
            self._refresh_lag()
            return 0
        commits: Commits = {}
        count = 0
        for tp, records in batch.items():
            for record in records:
                self._process(record)
                count += 1
            commits[tp] = OffsetAndMetadata(records[-1].offset + 1, "", -1)
        self.publisher.flush()
        if self._behind is None:
            self._commit(Batch(commits, count))
        else:
            for written in self._behind.add(commits, count):
                self._commit(written)
        self._refresh_lag()
        return count

    def _refresh_lag(self) -> None:
        if self.lag is not None:
            self.lag.maybe_refresh(self.stats.positions)

    def write_pending(self) -> list[Batch]:
        """Write everything handled so far (write-behind mode; otherwise nothing is pending) and
        return the batches written, for their offsets to be committed."""
        return self._behind.drain() if self._behind is not None else []

    def drain(self) -> None:
        """Write and commit everything handled so far (and offsets an earlier commit failed to send)."""
        written = self.write_pending()
        for batch in written:
            self._commit(batch)
        if not written and self._uncommitted.commits:
            self._commit(Batch({}, 0))

    def _with_uncommitted(self, batch: Batch) -> Batch:
        """``batch`` plus the offsets of failed commits for partitions still assigned (a partition
        that went to another member is its business now: it replays from the last commit)."""
        if not self._uncommitted.commits:
            return batch
        try:
            assigned = set(self.consumer.assignment())
        except KafkaError:
            assigned = set(self._uncommitted.commits)
        commits = {tp: om for tp, om in self._uncommitted.commits.items() if tp in assigned}
        for tp, om in batch.commits.items():
            if tp not in commits or commits[tp].offset < om.offset:
                commits[tp] = om
        return Batch(commits, self._uncommitted.count + batch.count)

    def _commit(self, batch: Batch) -> None:
        batch = self._with_uncommitted(batch)
        if not batch.commits:
            self._uncommitted = Batch({}, 0)
            return
        try:
            self.consumer.commit(batch.commits)
        except (CommitFailedError, RebalanceInProgressError) as exc:
            # the group rebalanced while the batch was being written: the partitions' new owner
            # replays from the last commit, and the writes are idempotent
            log.warning("%s: offsets not committed, the group rebalanced: %s", self.stage, exc)
            self._uncommitted = Batch({}, 0)
            return
        except KafkaError as exc:
            # the broker unreachable, frozen or slow (KafkaTimeoutError, NoBrokersAvailable, a lost
            # connection, a moved coordinator): the work is durable, only its offsets are not yet;
            # they go again with the next commit, and stopping the loop would gain nothing
            self._uncommitted = batch
            self.stats.commit_failures += 1
            counter = getattr(self.metrics, "commit_failures", None)
            if counter is not None:
                counter.labels(group=self.consumer.config.get("group_id") or "").inc()
            log.warning("%s: offsets of %d record(s) not committed, retrying with the next commit: %s: %s",
                        self.stage, batch.count, type(exc).__name__, exc)
            return
        self._uncommitted = Batch({}, 0)
        self.committed(batch)

    def committed(self, batch: Batch, look_up_positions: bool = True) -> None:
        """Record that ``batch``'s offsets are committed."""
        self._record_positions(batch.commits, look_up_positions)
        self.stats.consumed += batch.count
        self.stats.batches += 1

    def _record_positions(self, committed: Commits, look_up_positions: bool = True) -> None:
        """Publish how far each assigned partition is done, for ``caught_up`` (read from other threads).
        Partitions without new records count too: their committed position may already be past a target."""
        positions = dict(self.stats.positions)
        for tp, om in committed.items():
            positions[tp] = om.offset
        if not look_up_positions or (self._behind is not None and self._behind.pending):
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

    def finish_join(self, timeout_s: float | None = None) -> bool:
        """If a group join is in flight, complete it (within ``timeout_s``, by default twice the session
        timeout: a join after a member's crash waits for that member's session to expire first, then
        for the broker's rebalance delay); True when no join is left.

        A member that closes in the middle of a join sends no LeaveGroup, and the broker (Tansu) then
        holds every later join of the group for minutes: a stop right after a start would stall the
        service's next incarnation. Records fetched meanwhile are neither handled nor committed, so
        the partitions' next owner reads them."""
        if timeout_s is None:
            timeout_s = 2 * self.consumer.config["session_timeout_ms"] / 1000
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if self.consumer.group_metadata().state != MemberState.REBALANCING:
                    return True
                self.consumer.poll(timeout_ms=200, max_records=1)
            except KafkaError as exc:
                log.warning("%s: group join not completed before leaving: %s", self.stage, exc)
                return False
        log.warning("%s: group join still in flight after %.0f s; leaving all the same", self.stage, timeout_s)
        return False

    def close(self) -> None:
        self.finish_join()
        if self._behind is not None:
            self._behind.close()
        if self.lag is not None:
            self.lag.clear()
        try:
            self.consumer.close(autocommit=False, timeout_ms=5000)
        except Exception:
            log.debug("consumer close failed", exc_info=True)
