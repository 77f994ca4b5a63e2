"""Outside development a service never falls back to the development keys: without
``HADIR_JWT_JWKS_FILE`` it refuses to start, naming the variable. Development is explicit
(``HADIR_ENVIRONMENT=development``: ``hadir run`` and the tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.runtime.settings import REPO_ROOT, ConfigurationError, load_settings
from tools import runner


@pytest.mark.parametrize("environment", [None, "production"])
def test_without_a_jwks_file_outside_development_a_service_refuses_to_start(
        environment: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HADIR_JWT_JWKS_FILE", raising=False)
    if environment is None:
        monkeypatch.delenv("HADIR_ENVIRONMENT", raising=False)
    else:
        monkeypatch.setenv("HADIR_ENVIRONMENT", environment)
    with pytest.raises(ConfigurationError, match="HADIR_JWT_JWKS_FILE is not set"):
        load_settings("checkin", 8001, var_dir=tmp_path)

    monkeypatch.setenv("HADIR_JWT_JWKS_FILE", str(tmp_path / "idp.json"))
    assert load_settings("checkin", 8001, var_dir=tmp_path).jwt_jwks_file == tmp_path / "idp.json"


def test_development_falls_back_to_the_development_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HADIR_JWT_JWKS_FILE", raising=False)
    monkeypatch.setenv("HADIR_ENVIRONMENT", "development")
    settings = load_settings("checkin", 8001, var_dir=tmp_path)
    assert settings.jwt_jwks_file == tmp_path / "dev-keys" / "jwks.json"
    assert runner.run_env(tmp_path, "127.0.0.1:9092", tmp_path / "jwks.json")["HADIR_ENVIRONMENT"] == "development"


def test_the_service_process_exits_with_the_reason(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HADIR_")}
    env.update(HADIR_VAR_DIR=str(tmp_path), HADIR_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1")
    done = subprocess.run([sys.executable, "-m", "services.checkin"], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "ConfigurationError" in done.stderr and "HADIR_JWT_JWKS_FILE is not set" in done.stderr, done.stderr
