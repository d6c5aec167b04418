"""Dead-lettering: poison input goes to the dead-letter topic with where it came from, and the
partition moves on. A dead letter is always small: it carries a bounded excerpt of the payload
with the payload's size and SHA-256, and the topic, partition and offset that locate it."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime

from kafka.consumer.fetcher import ConsumerRecord

from ..contracts import DEADLETTER_TOPIC, DeadLetter
from .publisher import Publisher

log = logging.getLogger(__name__)

EXCERPT_BYTES = 4096  # enough to see what the payload was; far below any message size limit
KEY_CHARS = 256
ERROR_CHARS = 4000
SEND_TIMEOUT_S = 30.0


class PoisonMessage(Exception):
    """Raised by a handler for input that can never succeed: dead-letter at once, no retries."""


def build_dead_letter(stage: str, record: ConsumerRecord, error: BaseException, attempts: int) -> DeadLetter:
    """The dead letter for ``record``: never larger than a few kilobytes, whatever the payload."""
    raw = record.value or b""
    excerpt = raw[:EXCERPT_BYTES]
    return DeadLetter(
        stage=stage,
        source_topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key.decode("utf-8", "replace")[:KEY_CHARS] if record.key else None,
        # a multi-byte character cut at the excerpt's end is dropped, not turned into noise
        value=excerpt.decode("utf-8", "ignore" if len(raw) > EXCERPT_BYTES else "replace"),
        value_truncated=len(raw) > EXCERPT_BYTES,
        value_bytes=len(raw),
        value_sha256=hashlib.sha256(raw).hexdigest(),
        error_type=type(error).__name__,
        error=str(error)[:ERROR_CHARS],
        attempts=attempts,
        failed_at=datetime.now(UTC),
    )


def dead_letter(publisher: Publisher, stage: str, record: ConsumerRecord, error: BaseException,
                attempts: int) -> bool:
    """Send ``record``'s dead letter and wait for the broker's acknowledgement. Returns False, after
    logging where the record is and its hash, when the dead letter could not be written: the caller
    counts that and moves on, for a dead letter must never stop the partition it was meant to free."""
    message = build_dead_letter(stage, record, error, attempts)
    key = message.key or f"{record.topic}:{record.partition}:{record.offset}"
    try:
        publisher.producer.send(DEADLETTER_TOPIC, key=key.encode("utf-8"), value=message.to_bytes()).get(
            timeout=SEND_TIMEOUT_S)
        return True
    except Exception as exc:  # any failure to write it is the same to the caller: logged, counted
        log.error("%s: dead letter for %s[%d]@%d (%d bytes, sha256 %s) not written: %s: %s", stage,
                  record.topic, record.partition, record.offset, message.value_bytes, message.value_sha256,
                  type(exc).__name__, exc)
        return False
