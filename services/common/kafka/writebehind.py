"""Write-behind: a stage's durable work runs on one writer thread while the loop handles the next
batch, and a batch's offsets are committed only after its write has succeeded."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from kafka import OffsetAndMetadata, TopicPartition

Commits = dict[TopicPartition, OffsetAndMetadata]
Job = Callable[[], None]


class WriteFailed(RuntimeError):
    """A write-behind job failed earlier: its offsets, and everything collected after them, stay
    uncommitted; only a restart (which replays from the last commit) may go on."""


@dataclass
class Batch:
    """Offsets of handled records (the next offset to read, per partition) and how many records they cover."""

    commits: Commits = field(default_factory=dict)
    count: int = 0


@dataclass
class _InFlight:
    future: Future
    batch: Batch


class WriteBehind:
    """Jobs run one at a time, in batch order, on one writer thread; a batch is returned to the
    caller (to commit its offsets) only after the job that wrote it has succeeded.

    ``detach()`` (called in the loop's thread) takes what the handler collected and returns the job
    that writes it. While a job is running, the batches handled meanwhile (up to ``max_collected``
    records) are collected into the next job, so under load the database sees fewer, larger
    transactions. A failed job raises from ``settle`` with its offsets uncommitted, and every later
    call raises ``WriteFailed``."""

    def __init__(self, stage: str, detach: Callable[[], Job], max_collected: int = 10_000) -> None:
        self.stage = stage
        self.detach = detach
        self.max_collected = max_collected
        self._writer = ThreadPoolExecutor(1, thread_name_prefix=f"{stage}-writer")
        self._in_flight: _InFlight | None = None
        self._collected = Batch()
        self._failed: BaseException | None = None

    @property
    def pending(self) -> bool:
        """Whether records were handled that are not yet written and committed."""
        return bool(self._collected.count) or self._in_flight is not None

    def add(self, commits: Commits, count: int) -> list[Batch]:
        """Collect a handled batch; start writing it unless a write is running and there is room to
        collect more behind it. Returns the batches written meanwhile, whose offsets may be committed."""
        self.check()
        self._collected.commits.update(commits)  # offsets only grow within a partition
        self._collected.count += count
        busy = self._in_flight is not None and not self._in_flight.future.done()
        if busy and self._collected.count < self.max_collected:
            return []
        written = self.settle()
        self._submit()
        return written

    def _submit(self) -> None:
        if self._collected.count:
            self._in_flight = _InFlight(self._writer.submit(self.detach()), self._collected)
            self._collected = Batch()

    def settle(self) -> list[Batch]:
        """Wait for the write in flight, if any; returns its batch once written."""
        if self._in_flight is None:
            return []
        in_flight, self._in_flight = self._in_flight, None
        try:
            in_flight.future.result()  # a failed write raises here, before its offsets are committed
        except BaseException as exc:
            # what was collected since must not be committed past the lost batch
            self._failed = exc
            self._collected = Batch()
            raise
        return [in_flight.batch]

    def drain(self) -> list[Batch]:
        """Write everything handled so far; returns the batches written, oldest first."""
        self.check()
        written = self.settle()
        self._submit()
        return written + self.settle()

    def check(self) -> None:
        """Raise ``WriteFailed`` if an earlier job failed."""
        if self._failed is not None:
            raise WriteFailed(f"{self.stage}: a write failed; restart the consumer") from self._failed

    def close(self) -> None:
        """Stop the writer thread; a write in flight that was never settled is not committed."""
        self._writer.shutdown(wait=True)
