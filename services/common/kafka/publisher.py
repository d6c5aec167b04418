"""The publisher: sends records and remembers which offsets the broker acknowledged."""

from __future__ import annotations

import logging
import threading

from kafka import KafkaProducer, TopicPartition
from kafka.producer.future import FutureRecordMetadata

log = logging.getLogger(__name__)

Offsets = dict[TopicPartition, int]


class Publisher:
    """Sends messages and remembers the acknowledged offsets, so a caller can commit its own
    progress only after every record it sent has been acknowledged. ``send`` and ``flush`` may be
    called from a consume loop and its writer thread alike; a ``flush`` waits for the records it
    takes, which are all those sent before it that no other thread's ``flush`` has taken."""

    def __init__(self, producer: KafkaProducer, flush_timeout_s: float = 60.0) -> None:
        self.producer = producer
        self.flush_timeout_s = flush_timeout_s
        self._pending: list[FutureRecordMetadata] = []
        self._lock = threading.Lock()
        self.acked: Offsets = {}

    def send(self, topic: str, key: str, value: bytes) -> None:
        future = self.producer.send(topic, key=key.encode("utf-8"), value=value)
        with self._lock:
            self._pending.append(future)

    def flush(self) -> int:
        """Block until every pending record is acknowledged; raise the first delivery error if any
        failed. Returns how many records it waited for."""
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
