"""Fast checks of the `hadir` CLI helpers: tokens the services accept, the plumbing of `hadir run`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.runtime.auth import Authenticator
from services.runtime.settings import load_settings
from tools import runner
from tools.cli import app

NIP = "199206142018031033"


def test_token_is_accepted_by_a_services_authenticator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(app, ["token", "--tenant", "banten", "--role", "employee", "--nip", NIP,
                                      "--unit", "bkd", "--var-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()

    # A service started with the same var dir finds the JWKS there by default.
    monkeypatch.setenv("HADIR_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("HADIR_JWT_JWKS_FILE", raising=False)
    settings = load_settings("checkin", 8001)
    principal = Authenticator(settings.jwt_jwks_file, settings.jwt_issuer, settings.jwt_audience).verify(token)

    assert principal.tenant == "banten"
    assert principal.roles == {"employee"}
    assert (principal.employee_id, principal.unit_id, principal.subject) == (NIP, "bkd", NIP)


def test_token_with_several_roles_and_no_person(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["token", "--tenant", "serang", "--role", "tenant_admin", "--role", "unit_head",
                                      "--var-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    jwks = tmp_path / "dev-keys" / "jwks.json"
    principal = Authenticator(jwks, "hadir-dev", "hadir").verify(result.stdout.strip())
    assert principal.roles == {"tenant_admin", "unit_head"}
    assert principal.tenant == "serang" and principal.employee_id is None


def test_token_refuses_an_unknown_role(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["token", "--role", "gubernur", "--var-dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "gubernur" in result.output


def test_service_ports_follow_the_base_port() -> None:
    assert runner.service_ports(8001) == {"checkin": 8001, "policy": 8002, "notify": 8003, "reporting": 8004}
    assert runner.service_ports(18001)["reporting"] == 18004


def test_run_env_puts_every_database_in_sqlite_under_the_var_dir(tmp_path: Path) -> None:
    env = runner.run_env(tmp_path, "127.0.0.1:9092", tmp_path / "dev-keys" / "jwks.json")
    assert env["HADIR_DATABASE_URL"] == ""  # a shared URL in the caller's environment is ignored
    for name in runner.SERVICES:
        assert env[f"HADIR_{name.upper()}_DATABASE_URL"] == f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}"


def test_fresh_wipes_databases_and_the_given_kafka_dir(tmp_path: Path) -> None:
    for name in ("policy.db", "policy.db-wal", "checkin.db", "keep.txt"):
        (tmp_path / name).write_text("x")
    (tmp_path / "kafka" / "node-1").mkdir(parents=True)
    (tmp_path / "dev-keys").mkdir()
    said: list[str] = []
    runner.wipe(tmp_path, tmp_path / "kafka", said.append)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev-keys", "keep.txt"]
    assert "policy.db" in said[0]


def test_a_port_in_use_is_a_clear_error() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(runner.RunError, match=f"port {port} is in use"):
            runner.ensure_ports_free([port])


def test_docker_kafka_advertises_the_published_port() -> None:
    from tools.kafka import docker as docker_kafka

    env = docker_kafka.broker_env(19092)
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://127.0.0.1:19092"
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert ":" in docker_kafka.IMAGE and not docker_kafka.IMAGE.endswith(":latest")  # pinned
