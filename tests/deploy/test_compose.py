"""docker-compose.yml (parsed: no Docker engine here) and deploy/postgres/init.sql (run on a real
PostgreSQL): each service connects as its own ordinary role that owns its database, so row-level
security applies; no password is written in the repository; the development private key stays
in a volume no service mounts, readable by its owner only; the services run outside development
mode with a JWKS file."""

from __future__ import annotations

import asyncio
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml
from sqlalchemy.engine import make_url

from services.contracts.asyncapi import PARTICIPANTS
from tests.deploy.support import DEPLOY, REPO
from tests.support import infra

COMPOSE = REPO / "docker-compose.yml"
INIT_SQL = DEPLOY / "postgres" / "init.sql"
SERVICES = sorted(p.service for p in PARTICIPANTS)
REQUIRED = re.compile(r"^\$\{(?P<name>[A-Z0-9_]+):\?[^}]+\}$")  # ${NAME:?message}: no default, no literal


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())  # the `<<` merge keys resolve as docker compose does


def required_variable(value: str) -> str:
    match = REQUIRED.match(value)
    assert match, f"{value!r}: a password must come from the environment (.env), never the file"
    return match["name"]


def volume_names(service: dict[str, Any]) -> dict[str, str]:
    """Named volume -> mount spec (source:target[:mode])."""
    return {spec.split(":")[0]: spec for spec in service.get("volumes", []) if not spec.startswith((".", "/"))}


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_connects_as_its_own_role_to_its_own_database(compose: dict[str, Any], name: str) -> None:
    services = compose["services"]
    env = services[name]["environment"]
    superuser = services["postgres"]["environment"]["POSTGRES_USER"]
    assert "HADIR_DATABASE_URL" not in env
    url = make_url(env[f"HADIR_{name.upper()}_DATABASE_URL"])
    assert (url.username, url.database, url.password) == (name, f"hadir_{name}", None)
    assert url.username != superuser
    variable = required_variable(env["PGPASSWORD"])
    assert variable == f"HADIR_DB_{name.upper()}_PASSWORD"
    assert required_variable(services["postgres"]["environment"][variable]) == variable  # init.sql reads it
    assert f"\\getenv {name}_password {variable}" in INIT_SQL.read_text()


def test_no_password_is_written_in_the_repository(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]["environment"]
    required_variable(postgres["POSTGRES_PASSWORD"])
    assert "PASSWORD '" not in INIT_SQL.read_text().upper()
    assert ".env" in (REPO / ".gitignore").read_text().split()


@pytest.mark.parametrize("name", SERVICES)
def test_the_services_run_outside_development_with_the_public_keys_only(compose: dict[str, Any], name: str) -> None:
    services = compose["services"]
    env = services[name]["environment"]
    assert env.get("HADIR_ENVIRONMENT", "production") != "development"
    jwks_dir = Path(env["HADIR_JWT_JWKS_FILE"]).parent
    mounts = volume_names(services[name])
    private = {spec.split(":")[0] for spec in services["keys"]["volumes"] if spec.split(":")[1] == "/private"}
    assert private and not private & set(mounts), f"{name} mounts the development private key"
    assert any(spec.split(":")[1:] == [str(jwks_dir), "ro"] for spec in mounts.values()), mounts


def test_the_keys_container_keeps_the_private_key_to_its_owner(compose: dict[str, Any], tmp_path: Path) -> None:
    """Its command, run here with its two volumes as directories: private.pem 0600, only jwks.json shared."""
    keys = compose["services"]["keys"]
    command = keys["command"]
    assert command[:2] == ["python", "-c"]
    assert "0o644)" not in command[2].split("jwks.json")[0], "the private key made readable"
    script = command[2].replace("'/private", f"'{tmp_path}/private").replace("'/jwks", f"'{tmp_path}/jwks")
    (tmp_path / "jwks").mkdir()
    subprocess.run([sys.executable, "-c", script], check=True, cwd=REPO, timeout=60)
    private = tmp_path / "private" / "private.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert sorted(p.name for p in (tmp_path / "jwks").iterdir()) == ["jwks.json"]
    assert "PRIVATE" not in (tmp_path / "jwks" / "jwks.json").read_text()


async def test_init_sql_makes_ordinary_owning_roles(postgres_server: infra.PostgresServer, tmp_path: Path) -> None:
    """Run with psql as the image's entrypoint does, under names of this run's own (roles are per cluster)."""
    suffix = f"t{os.getpid()}"
    names = {name: f"{name}_{suffix}" for name in SERVICES}
    sql = INIT_SQL.read_text()
    for name, role in names.items():
        sql = re.sub(rf"\bhadir_{name}\b", f"hadir_{role}", sql)
        sql = re.sub(rf"(ROLE|OWNER) {name}\b", rf"\1 {role}", sql)
    script = tmp_path / "init.sql"
    script.write_text(sql)
    admin = make_url(postgres_server.admin_url)
    passwords = {name: f"pw-{name}-{suffix}" for name in SERVICES}
    env = {**os.environ, "PGPASSWORD": admin.password or "",
           **{f"HADIR_DB_{n.upper()}_PASSWORD": pw for n, pw in passwords.items()}}
    admin_dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        psql = await asyncio.create_subprocess_exec(
            "psql", "-v", "ON_ERROR_STOP=1", "--no-psqlrc", "-d", admin_dsn, "-f", str(script), env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, stderr = await asyncio.wait_for(psql.communicate(), 60)
        assert psql.returncode == 0, stderr.decode()
        for name, role in names.items():
            conn = await asyncpg.connect(host=admin.host, port=admin.port, user=role, password=passwords[name],
                                         database=f"hadir_{role}")
            try:
                row = await conn.fetchrow(
                    "SELECT r.rolsuper, r.rolbypassrls, pg_get_userbyid(d.datdba) AS owner FROM pg_roles r, "
                    "pg_database d WHERE r.rolname = current_user AND d.datname = current_database()")
                assert (row["rolsuper"], row["rolbypassrls"], row["owner"]) == (False, False, role)
                others = await conn.fetchval(
                    "SELECT count(*) FROM pg_database WHERE datname LIKE 'hadir\\_%' AND datname <> current_database() "
                    "AND has_database_privilege(datname, 'CONNECT') AND datname = ANY($1::text[])",
                    [f"hadir_{r}" for r in names.values()])
                assert others == 0, f"{role} may connect to another service's database"
            finally:
                await conn.close()
    finally:
        conn = await asyncpg.connect(postgres_server.admin_url.replace("+asyncpg", ""))
        try:
            for role in names.values():
                await conn.execute(f'DROP DATABASE IF EXISTS "hadir_{role}"')
                await conn.execute(f'DROP ROLE IF EXISTS "{role}"')
        finally:
            await conn.close()
