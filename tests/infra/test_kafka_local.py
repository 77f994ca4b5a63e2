"""Real-broker tests of tools.kafka.cluster (no Docker, no mocks of Kafka).

They start Apache Kafka from the Maven Central jars (downloaded once into the cache by
``fetch_jars``) on free ports from 29092 (one node) and 29192 (three nodes), away from a
developer's broker on 9092 and from other runs on the same machine, in temporary data
dirs that teardown always stops.
The tests marked ``infra`` need Java 17+ and Maven (or an already filled jar cache).
"""

from __future__ import annotations

import asyncio
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaClient, AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.support.infra import free_port_block
from tools.kafka import cluster as kl
from tools.kafka import config as kafka_config

SINGLE_PORT = 29092  # where the search for free ports starts
TRIPLE_PORT = 29192
BUSY_PORT = 29292


# ------------------------------------------------------------------- fixtures


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A fresh data dir whose cluster is stopped after the test, pass or fail."""
    directory = tmp_path / "kafka"
    try:
        yield directory
    finally:
        kl.stop(directory, timeout=20)


# -------------------------------------------------------------------- helpers


async def _produce(bootstrap: str, topic: str, *values: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for value in values:
            await asyncio.wait_for(producer.send_and_wait(topic, value, key=b"same-key"), 60)
    finally:
        await producer.stop()


async def _consume(bootstrap: str, topic: str, count: int, within: float = 30) -> list[bytes]:
    """Read ``count`` values of ``topic`` from the beginning (no consumer group)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    values: list[bytes] = []
    try:
        async with asyncio.timeout(within):
            while len(values) < count:
                batches = await consumer.getmany(timeout_ms=1000)
                values += [record.value for records in batches.values() for record in records]
    finally:
        await consumer.stop()
    return values


async def _broker_ids(bootstrap: str) -> set[int]:
    client = AIOKafkaClient(bootstrap_servers=bootstrap)
    await client.bootstrap()
    try:
        return {broker.nodeId for broker in client.cluster.brokers()}
    finally:
        await client.close()


async def _create_topic(bootstrap: str, topic: str, partitions: int, replication: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=replication)])
    finally:
        await admin.close()


# ---------------------------------------------------------------------- tests


@pytest.mark.infra
def test_single_node_keeps_its_data_across_restarts(data_dir: Path) -> None:
    port = free_port_block(SINGLE_PORT)
    cluster = kl.start(data_dir, nodes=1, port=port)
    assert cluster.bootstrap == f"127.0.0.1:{port}"
    assert kl.attach(data_dir) == cluster
    cluster_id = kafka_config.read_cluster_id(data_dir / "node-1")
    assert cluster_id

    asyncio.run(_produce(cluster.bootstrap, "restart-check", b"written before the restart"))
    assert asyncio.run(_consume(cluster.bootstrap, "restart-check", 1)) == [b"written before the restart"]

    cluster.stop()
    assert kl.attach(data_dir) is None
    assert not (data_dir / "node-1" / "kafka.pid").exists()

    cluster = kl.start(data_dir, nodes=1, port=port)
    assert kafka_config.read_cluster_id(data_dir / "node-1") == cluster_id, "storage was reformatted"
    assert asyncio.run(_consume(cluster.bootstrap, "restart-check", 1)) == [b"written before the restart"]
    cluster.stop()


@pytest.mark.infra
def test_three_nodes_survive_the_loss_of_one(data_dir: Path) -> None:
    cluster = kl.start(data_dir, nodes=3, port=free_port_block(TRIPLE_PORT, span=3))
    assert asyncio.run(_broker_ids(cluster.bootstrap)) == {1, 2, 3}
    asyncio.run(_create_topic(cluster.bootstrap, "fault-check", partitions=3, replication=3))
    asyncio.run(_produce(cluster.bootstrap, "fault-check", b"three nodes"))

    cluster.kill_node(2)
    assert cluster.node_pids()[2] is None
    asyncio.run(_produce(cluster.bootstrap, "fault-check", b"two nodes"))

    cluster.start_node(2)
    assert asyncio.run(_broker_ids(cluster.bootstrap)) == {1, 2, 3}
    assert asyncio.run(_consume(cluster.bootstrap, "fault-check", 2)) == [b"three nodes", b"two nodes"]
    cluster.stop()
    assert kl.attach(data_dir) is None


def test_start_refuses_a_port_taken_by_something_else(data_dir: Path) -> None:
    port = free_port_block(BUSY_PORT)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(RuntimeError, match=f"port {port} "):
            kl.start(data_dir, nodes=1, port=port)
    assert kl.attach(data_dir) is None


@pytest.mark.infra
def test_fetch_jars_skips_maven_once_the_marker_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    lib = kl.fetch_jars(quiet=True)  # the real download, once per machine
    assert (lib / kafka_config.COMPLETE_MARKER).is_file()
    assert (lib / f"kafka_2.13-{kl.KAFKA_VERSION}.jar").is_file()
    assert list(lib.glob("log4j-slf4j-impl-2.25.*.jar")), "broker would log nothing"

    def no_maven(output_dir: Path) -> None:
        raise AssertionError("mvn must not run when the marker exists")

    monkeypatch.setattr(kafka_config, "_run_maven", no_maven)
    assert kl.fetch_jars(quiet=True) == lib


def test_fetch_jars_replaces_an_unmarked_download(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HADIR_CACHE_DIR", str(tmp_path))
    assert kl.cache_dir() == tmp_path / "kafka" / kl.KAFKA_VERSION
    leftover = kl.cache_dir() / "libs"
    leftover.mkdir(parents=True)
    (leftover / "half-downloaded.jar").write_bytes(b"")
    runs: list[Path] = []

    def fake_maven(output_dir: Path) -> None:
        runs.append(output_dir)
        (output_dir / f"kafka_2.13-{kl.KAFKA_VERSION}.jar").write_bytes(b"")

    monkeypatch.setattr(kafka_config, "_run_maven", fake_maven)
    assert kl.fetch_jars(quiet=True) == leftover
    assert kl.fetch_jars(quiet=True) == leftover
    assert len(runs) == 1
    assert sorted(p.name for p in leftover.iterdir()) == [".complete", f"kafka_2.13-{kl.KAFKA_VERSION}.jar"]
    assert not list(kl.cache_dir().glob("libs.tmp-*"))


def test_pom_pins_the_same_kafka_version() -> None:
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    pom = ET.parse(kafka_config.POM_FILE).getroot()
    assert pom.findtext("m:properties/m:kafka.version", namespaces=ns) == kl.KAFKA_VERSION
