"""A thin layer over kafka-python, one concept a module:

- ``clients``: client construction (connection, security, size limits) for producers and consumers;
- ``admin``: creating the topics Wirewatch needs;
- ``publisher``: sending records and remembering acknowledged offsets;
- ``deadletter``: poison input to the dead-letter topic;
- ``writebehind``: durable work on a writer thread, committed only once it succeeded;
- ``loop``: the consume -> handle -> flush -> write -> commit loop.

Producers are idempotent with ``acks=all``; transactions are deliberately not used (DESIGN.md).
The names below are re-exported so ``from services.common.kafka import X`` keeps working.
"""

from .admin import ensure_topics
from .clients import BrokerUnavailable, KafkaSecurityError, client_config, make_consumer, make_producer
from .deadletter import PoisonMessage, dead_letter
from .loop import ConsumeLoop, LoopStats
from .publisher import Offsets, Publisher
from .writebehind import Batch, WriteFailed

__all__ = [
    "BrokerUnavailable",
    "ConsumeLoop",
    "KafkaSecurityError",
    "LoopStats",
    "Offsets",
    "PoisonMessage",
    "Publisher",
    "WriteFailed",
    "Batch",
    "client_config",
    "dead_letter",
    "ensure_topics",
    "make_consumer",
    "make_producer",
]
