"""Topics are created with their configuration (compaction, retention) from the one source,
``services.contracts.topics.config_of`` — on a real broker of the module's own, so that no topic
exists before (the session broker auto-creates topics a test produces to, without any configuration)."""

from __future__ import annotations

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from services.contracts import topics
from services.runtime.kafka import ensure_topics

pytestmark = pytest.mark.infra

DEAD_LETTERS = topics.dead_letter_topic("hadir-notify-main")


async def described(bootstrap: str, names: list[str]) -> dict[str, dict[str, str]]:
    """Each topic's configuration as the broker states it (defaults included)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
    finally:
        await admin.close()
    configs: dict[str, dict[str, str]] = {}
    for response in responses:
        for error_code, _, _, name, entries in response.resources:
            assert error_code == 0, name
            configs[name] = {entry[0]: entry[1] for entry in entries}
    return configs


def test_the_privacy_topics_are_compacted_or_short_lived() -> None:
    for name in (topics.DIRECTORY_UPDATED, topics.DIRECTORY_UPDATED_V2, topics.DIRECTORY_CONTACTS):
        assert topics.config_of(name)["cleanup.policy"] == "compact", name
    assert topics.config_of(topics.LOCATION_READ) == {"retention.ms": str(7 * 24 * 3600 * 1000)}
    raw_coordinates = int(topics.config_of(topics.CHECKIN_RECEIVED)["retention.ms"])
    assert raw_coordinates <= 90 * 24 * 3600 * 1000, "below the default retention of raw check-in coordinates"
    assert topics.config_of(DEAD_LETTERS) == topics.DEAD_LETTER_CONFIG
    assert topics.config_of("test.probe-1.v1") == {}, "a topic Hadir does not define keeps the broker's defaults"


async def test_ensure_topics_creates_each_topic_with_its_configuration(module_kafka: str) -> None:
    names = [*topics.ALL, DEAD_LETTERS]
    await ensure_topics(module_kafka, names, partitions=2, replication=1)
    configs = await described(module_kafka, names)
    for name in names:
        wanted = topics.config_of(name)
        assert wanted, f"{name} has no configuration of its own"
        assert {k: configs[name][k] for k in wanted} == wanted, name
    assert configs[topics.POLICY_UPDATED]["cleanup.policy"] == "delete"
    assert configs[topics.DIRECTORY_CONTACTS]["cleanup.policy"] == "compact"

    await ensure_topics(module_kafka, names, partitions=2, replication=1)  # idempotent: existing topics stay
    assert await described(module_kafka, names) == configs
