"""Apache Kafka from the official ``apache/kafka`` image, for machines with Docker but no Java/Maven.

One combined broker/controller in KRaft mode, published on ``127.0.0.1:<port>`` only, with no
volume: the container is removed when it stops (``--rm``), taking its topics with it. Used by
``hadir run`` only when :mod:`tools.kafka.cluster` cannot run; driven through the ``docker`` CLI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass

from tools.kafka.cluster import is_ready

# Same Kafka version as deploy/kafka/pom.xml; override with HADIR_KAFKA_IMAGE.
IMAGE = os.environ.get("HADIR_KAFKA_IMAGE", "apache/kafka:4.3.1")
CLUSTER_ID = "4L6g3nShT-eMCtK--X86sw"  # the image's documented example id; storage is ephemeral anyway


def docker_answers(timeout: float = 5) -> bool:
    """True if a Docker engine answers ``docker version``."""
    if shutil.which("docker") is None:
        return False
    try:
        result = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"],
                                capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def broker_env(port: int) -> dict[str, str]:
    """Single-node KRaft settings; clients are told to connect to 127.0.0.1:<port>."""
    return {
        "CLUSTER_ID": CLUSTER_ID,
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://:9092,CONTROLLER://:9093",
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://127.0.0.1:{port}",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_INTER_BROKER_LISTENER_NAME": "PLAINTEXT",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
        "KAFKA_LOG_DIRS": "/tmp/kraft-combined-logs",
    }


@dataclass
class DockerKafka:
    name: str
    bootstrap: str

    def stop(self, timeout: int = 15) -> None:
        subprocess.run(["docker", "stop", "-t", str(timeout), self.name], capture_output=True, check=False)


def start(port: int = 9092, wait_timeout: float = 120) -> DockerKafka:
    """Run the broker container (pulling the image first if needed) and wait until it serves metadata."""
    name = f"hadir-kafka-{port}"
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)  # a leftover, not answering
    if subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, check=False).returncode != 0:
        if subprocess.run(["docker", "pull", IMAGE], check=False).returncode != 0:
            raise RuntimeError(f"docker pull {IMAGE} failed")
    env = [arg for key, value in broker_env(port).items() for arg in ("-e", f"{key}={value}")]
    run = subprocess.run(["docker", "run", "-d", "--rm", "--name", name, "-p", f"127.0.0.1:{port}:9092", *env, IMAGE],
                         capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise RuntimeError(f"docker run {IMAGE} failed: {run.stderr.strip()}")
    kafka = DockerKafka(name, f"127.0.0.1:{port}")
    deadline = time.monotonic() + wait_timeout
    while not is_ready(kafka.bootstrap, timeout=3):
        if time.monotonic() > deadline:
            logs = subprocess.run(["docker", "logs", "--tail", "30", name], capture_output=True, text=True,
                                  check=False)
            kafka.stop()
            raise RuntimeError(f"Kafka container {name} not ready after {wait_timeout:.0f}s\n"
                               f"{logs.stdout}{logs.stderr}")
        time.sleep(1)
    return kafka
