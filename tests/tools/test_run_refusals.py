"""`hadir run` only runs on what it owns: a Kafka port in use by something it did not start, a
port beyond the limit and a var dir another run holds are refused before anything starts,
with the port (or dir) named and the way out spelled."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.support import infra
from tools import ports, runner
from tools.cli import app
from tools.kafka import cluster as kafka_local


def hadir_run(var_dir: Path, kafka_port: int) -> Result:
    base = infra.free_port_block(28101, span=4)
    return CliRunner().invoke(app, ["run", "--no-demo", "--var-dir", str(var_dir), "--base-port", str(base),
                                    "--kafka-port", str(kafka_port), "--ready-timeout", "5"])


def refused(result: Result) -> str:
    assert result.exit_code == 1, result.output
    return " ".join(result.output.split())  # the message, unwrapped


def test_a_port_above_the_limit_is_refused_with_the_reason(tmp_path: Path) -> None:
    message = refused(hadir_run(tmp_path / "var", 40000))
    assert "Kafka port 40000 is refused" in message
    assert "ephemeral range" in message and "outgoing connections" in message  # why the limit exists
    assert f"at most {ports.MAX_PORT - 1000}" in message and "--kafka-port" in message
    assert not (tmp_path / "var" / "logs").exists(), "a service was started"


def test_the_local_kafka_command_explains_the_limit_too(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["kafka", "start", "--data-dir", str(tmp_path), "--port", "32000"])
    assert result.exit_code == 2
    assert "ephemeral range" in " ".join(result.output.split())


def test_a_kafka_port_held_by_another_process_is_refused(tmp_path: Path) -> None:
    port = infra.free_port_block(24092)
    with socket.socket() as other:
        other.bind(("127.0.0.1", port))
        other.listen()
        message = refused(hadir_run(tmp_path / "var", port))
    assert f"Kafka port {port} on 127.0.0.1 is already in use by another process" in message
    assert "hadir run --kafka-port" in message
    assert not (tmp_path / "var" / "logs").exists()


def test_a_second_run_on_the_same_var_dir_is_refused(tmp_path: Path) -> None:
    held = runner.hold_var_dir(tmp_path)
    try:
        message = refused(hadir_run(tmp_path, infra.free_port_block(24092)))
    finally:
        held.close()
    assert f"another `hadir run` (pid {os.getpid()}) uses {tmp_path}" in message
    assert "--var-dir" in message


def test_the_instance_belongs_to_the_var_dir(tmp_path: Path) -> None:
    env = runner.run_env(tmp_path / "a", "127.0.0.1:9092", tmp_path / "jwks.json")
    assert env["HADIR_INSTANCE"] == runner.instance_of(tmp_path / "a")  # same var dir, same groups
    assert runner.instance_of(tmp_path / "a") != runner.instance_of(tmp_path / "b")


@pytest.fixture(scope="module")
def someone_elses_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[kafka_local.KafkaCluster]:
    """A real local broker started by someone else (not under the var dir of the run below)."""
    why_not = runner.local_kafka_unavailable()
    if why_not:
        infra.unavailable("Kafka", why_not)
    data_dir = tmp_path_factory.mktemp("someone-else") / "kafka"
    cluster = kafka_local.start(data_dir, nodes=1, port=infra.free_port_block(24592))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.mark.infra
def test_a_broker_someone_else_started_is_refused_and_left_alone(someone_elses_broker: kafka_local.KafkaCluster,
                                                                  tmp_path: Path) -> None:
    port = someone_elses_broker.port
    message = refused(hadir_run(tmp_path / "var", port))
    assert f"Kafka port {port} on 127.0.0.1 is already in use by a Kafka broker that this `hadir run` did not start" \
        in message
    assert "consumer groups" in message and "hadir run --kafka-port" in message
    assert kafka_local.is_ready(f"127.0.0.1:{port}"), "the other broker was stopped"
    assert not (tmp_path / "var" / "logs").exists(), "a service was started"


@pytest.mark.infra
def test_the_broker_of_the_var_dirs_own_kafka_dir_is_accepted(someone_elses_broker: kafka_local.KafkaCluster) -> None:
    """`hadir kafka start` on the var dir's Kafka dir, then `hadir run`: that broker is the run's own."""
    own = runner.check_kafka_port(someone_elses_broker.port, someone_elses_broker.data_dir)
    assert own is not None and own.bootstrap == someone_elses_broker.bootstrap
