"""Consumer lag per group and partition, from the broker's committed offsets.

Committed (not in-memory) offsets are what a restart resumes from, so this is the
lag that matters for delivery. Labels: group, topic, partition — bounded by the
topics' partition counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import Gauge

log = structlog.get_logger(__name__)


async def measure(
    probe: AIOKafkaConsumer, admin: AIOKafkaAdminClient, group: str, topics: Sequence[str]
) -> dict[TopicPartition, int]:
    """Lag of every partition of ``topics`` for ``group`` (end offset − committed offset).

    ``probe`` is a started consumer without a group, ``admin`` a started admin client.
    """
    await probe._client.force_metadata_update()
    partitions = [
        TopicPartition(topic, p) for topic in topics for p in sorted(probe.partitions_for_topic(topic) or ())
    ]
    if not partitions:
        return {}
    ends = await probe.end_offsets(partitions)
    committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
    return {
        tp: max(0, ends[tp] - (committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0))
        for tp in partitions
    }


class LagMonitor:
    def __init__(self, gauge: Gauge, bootstrap: str, groups: dict[str, Sequence[str]], interval: float = 15) -> None:
        self.gauge = gauge
        self.bootstrap = bootstrap
        self.groups = groups
        self.interval = interval

    async def run(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        probe = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await admin.start()
        await probe.start()
        try:
            await self._loop(probe, admin)
        finally:
            await probe.stop()
            await admin.close()

    async def _loop(self, probe: AIOKafkaConsumer, admin: AIOKafkaAdminClient) -> None:
        while True:
            for group, topics in self.groups.items():
                try:
                    lags = await measure(probe, admin, group, topics)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # broker away: keep the last values, try again later
                    log.warning("lag measurement failed", group=group, error=repr(exc))
                    continue
                for tp, lag in lags.items():
                    self.gauge.labels(group, tp.topic, str(tp.partition)).set(lag)
            await asyncio.sleep(self.interval)
