"""The local OpenID Connect provider (``tools/oidc/server.mjs``, the ``oidc-provider`` package on
Node) as a process: started on a free loopback port, ready once its discovery document answers,
stopped on exit. Development and tests only.

``node`` and ``tools/oidc/node_modules`` (``npm ci`` in this folder; ``.ci/setup`` runs it) must
be present; :class:`ProviderUnavailable` says which is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tools import ports, processes

FOLDER = Path(__file__).parent
SERVER = FOLDER / "server.mjs"
CLIENT_ID = "hadir-web"
AUDIENCE = "hadir"
READY_SECONDS = 30


class ProviderUnavailable(RuntimeError):
    """Node or the provider's npm packages are missing, or it did not start."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    audience: str
    process: subprocess.Popen[bytes]

    def rotate(self) -> str:
        """A new signing key at the provider (the old one stays published); its ``kid``."""
        answer = httpx.post(f"{self.issuer}/_admin/rotate", timeout=10)
        answer.raise_for_status()
        return str(answer.json()["kid"])


def missing() -> str | None:
    """What is missing to run the provider, or None."""
    if shutil.which("node") is None:
        return "node (apt-get install nodejs)"
    if not (FOLDER / "node_modules" / "oidc-provider").is_dir():
        return f"the provider's npm packages (cd {FOLDER} && npm ci)"
    return None


@contextmanager
def started(redirect_uris: Sequence[str] = (), *, log_path: Path | None = None, jwks_file: Path | None = None,
            users: Mapping[str, Mapping[str, object]] | None = None, tenant: str | None = None,
            port: int | None = None) -> Iterator[Provider]:
    """The provider on ``port`` (else a free one), with a client for ``redirect_uris``."""
    lack = missing()
    if lack:
        raise ProviderUnavailable(f"the OIDC test provider needs {lack}")
    port = port or ports.free_port()
    issuer = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PORT": str(port), "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_AUDIENCE": AUDIENCE}
    if redirect_uris:
        env["OIDC_REDIRECT_URIS"] = ",".join(redirect_uris)
    if jwks_file is not None:
        env["OIDC_JWKS_FILE"] = str(jwks_file)
    if tenant is not None:
        env["OIDC_TENANT"] = tenant
    users_file = None
    if users is not None:
        users_file = (log_path.parent if log_path else Path("/tmp")) / f"oidc-users-{port}.json"
        users_file.write_text(json.dumps(users))
        env["OIDC_USERS_FILE"] = str(users_file)
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 — closed below
    process = subprocess.Popen([shutil.which("node") or "node", str(SERVER)], cwd=FOLDER, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_ready(issuer, process)
        yield Provider(issuer, CLIENT_ID, AUDIENCE, process)
    finally:
        processes.terminate([process.pid], timeout=10)
        process.wait()  # reaps it
        if log_path:
            log.close()  # type: ignore[union-attr]
        if users_file:
            users_file.unlink(missing_ok=True)


def _wait_ready(issuer: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ProviderUnavailable(f"the OIDC test provider exited with {process.returncode}")
        try:
            if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)  # polling readiness with a bound, not ordering
    raise ProviderUnavailable(f"the OIDC test provider did not answer at {issuer} within {READY_SECONDS} s")
