"""The production image carries the services and nothing of the development tooling; it is built
in two stages from requirements.lock (pinned, hashed, covering every runtime dependency), runs as a
non-root user, and its HEALTHCHECK probes /healthz.

No Docker engine is needed: the Dockerfile, ``.dockerignore``, ``requirements.lock`` and the package
discovery of ``pyproject.toml`` are read as text, the shipped package is searched for imports of the
tooling, and the HEALTHCHECK command runs here against a local HTTP server."""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Iterator

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.support import REPO, ProbeTarget, probe_target

SHIPPED = {"pyproject.toml", "README.md", "services", "requirements.lock"}
DEVELOPMENT = ("tools", "tests", "bench")
LOCK = REPO / "requirements.lock"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)")


def _instructions() -> list[tuple[str, list[str]]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), shlex.split(line)[1:]) for line in lines]


def _stages() -> list[tuple[str | None, list[tuple[str, list[str]]]]]:
    """(stage name, its instructions after FROM), in order; instructions before the first FROM dropped."""
    stages: list[tuple[str | None, list[tuple[str, list[str]]]]] = []
    for op, args in _instructions():
        if op == "FROM":
            stages.append((args[2] if len(args) == 3 and args[1].upper() == "AS" else None, []))
        elif stages:
            stages[-1][1].append((op, args))
    return stages


def _defaults(stage: list[tuple[str, list[str]]]) -> dict[str, str]:
    """The default values of a stage's ARG instructions."""
    return {a.split("=")[0]: a.split("=", 1)[1] for op, values in stage if op == "ARG" for a in values if "=" in a}


def _locked() -> dict[str, tuple[str, list[str]]]:
    """requirements.lock: canonical name -> (version, hashes)."""
    entries: dict[str, tuple[str, list[str]]] = {}
    current = ""
    for line in LOCK.read_text().replace("\\\n", " ").splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match["name"])
            entries[current] = (match["version"].split(";")[0], re.findall(r"--hash=sha256:([0-9a-f]{64})", line))
    return entries


def _runtime_requirements() -> list[Requirement]:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    names = [*pyproject["project"]["dependencies"], *pyproject["build-system"]["requires"]]
    return [Requirement(name) for name in names]


def test_the_image_copies_only_the_shipped_package():
    copies = [args for op, args in _instructions() if op in {"COPY", "ADD"}]
    from_context = [args for args in copies if not any(a.startswith("--from=") for a in args)]
    sources = {source.rstrip("/") for args in from_context for source in args[:-1] if not source.startswith("--")}
    assert sources, "the Dockerfile copies nothing?"
    assert sources <= SHIPPED, f"the image copies {sorted(sources - SHIPPED)} besides the services"


def test_the_final_stage_takes_only_the_built_virtualenv():
    """Multi-stage: the final stage copies from the build stage only; nothing is installed in it."""
    stages = _stages()
    assert len(stages) >= 2, "a single-stage build"
    names = {name for name, _ in stages[:-1]}
    final = stages[-1][1]
    copies = [args for op, args in final if op in {"COPY", "ADD"}]
    assert copies and all(any(a in {f"--from={n}" for n in names if n} for a in args) for args in copies), copies
    runs = " ".join(" ".join(args) for op, args in final if op == "RUN")
    assert "pip" not in runs and "apt" not in runs, runs


def test_the_lock_pins_every_runtime_dependency_with_hashes():
    """Each dependency of pyproject.toml (and the build backend) is locked at a version its
    specifier allows; every locked package carries sha256 hashes. After editing the
    dependencies, `make lock` regenerates it."""
    locked = _locked()
    assert locked, "requirements.lock is empty"
    missing = [str(r) for r in _runtime_requirements() if canonicalize_name(r.name) not in locked]
    assert missing == [], f"not in requirements.lock (run make lock): {missing}"
    stale = [f"{r} locked at {locked[canonicalize_name(r.name)][0]}" for r in _runtime_requirements()
             if not r.specifier.contains(locked[canonicalize_name(r.name)][0], prereleases=True)]
    assert stale == [], f"requirements.lock is older than pyproject.toml (run make lock): {stale}"
    assert [name for name, (_, hashes) in locked.items() if not hashes] == []


def test_development_tooling_is_not_locked():
    """A development extra is in the lock only where a runtime dependency pulls it (``# via``)."""
    dev = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    runtime = {canonicalize_name(r.name) for r in _runtime_requirements()}
    tooling = {canonicalize_name(Requirement(r).name) for r in dev} - runtime
    pulled = _pulled_by_a_locked_package()
    assert sorted((tooling & set(_locked())) - pulled) == [], "development tooling in the image's lock"
    assert {"pytest", "ruff", "mypy", "uv", "typer"} & set(_locked()) == set()


def _pulled_by_a_locked_package() -> set[str]:
    """Locked names whose ``# via`` comment names another locked package (not only hadir itself)."""
    pulled, current = set(), ""
    for line in LOCK.read_text().splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match["name"])
        via = line.strip().removeprefix("#").strip()
        via = via.removeprefix("via").strip() if line.strip().startswith("#") else ""
        if via and not via.startswith("hadir") and canonicalize_name(via.split()[0]) in _locked():
            pulled.add(current)
    return pulled


def test_the_image_installs_from_the_lock_only():
    """Dependencies from the lock with --require-hashes; the project itself with --no-deps, so
    nothing is resolved outside the lock."""
    runs = [" ".join(args) for _, stage in _stages() for op, args in stage if op == "RUN" and "pip install" in
            " ".join(args)]
    from_lock = [r for r in runs if "-r requirements.lock" in r]
    assert from_lock and all("--require-hashes" in r and "--no-deps" in r for r in from_lock), runs
    assert all("--no-deps" in r for r in runs), runs


def test_the_image_runs_as_a_user_that_is_not_root():
    final = _stages()[-1][1]
    users = [args[0] for op, args in final if op == "USER"]
    assert users, "the final stage sets no USER"
    args = _defaults(final)
    user = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m[1], m[0]), users[-1]).split(":")[0]
    assert user not in {"root", "0"} and "$" not in user, users[-1]


def test_the_kubernetes_manifests_run_as_the_images_user():
    final = _stages()[-1][1]
    args = _defaults(final)
    base = sorted((REPO / "deploy" / "k8s" / "base").glob("*.yaml"))
    manifests = [d for path in base for d in yaml.safe_load_all(path.read_text())]
    contexts = [d["spec"]["template"]["spec"]["securityContext"] for d in manifests
                if d and d.get("kind") == "Deployment" and "securityContext" in d["spec"]["template"]["spec"]]
    assert contexts, "no Deployment with a securityContext?"
    assert {(c["runAsUser"], c["runAsGroup"]) for c in contexts} == {(int(args["UID"]), int(args["GID"]))}


def test_the_build_arguments_are_documented():
    text = (REPO / "Dockerfile").read_text()
    header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    declared = {a.split("=")[0] for op, args in _instructions() if op == "ARG" for a in args}
    assert declared, "no build arguments?"
    assert [name for name in sorted(declared) if not re.search(rf"#\s+{name}\b", header)] == []


@pytest.fixture
def probe() -> Iterator[tuple[type[ProbeTarget], int]]:
    with probe_target() as target:
        yield target


def test_the_healthcheck_probes_healthz_on_the_service_port(probe: tuple[type[ProbeTarget], int]) -> None:
    """The HEALTHCHECK's exec form, run here: healthy while /healthz answers 200, not on a 503."""
    handler, port = probe
    checks = [args for op, args in _stages()[-1][1] if op == "HEALTHCHECK"]
    assert len(checks) == 1, "the final stage has no HEALTHCHECK"
    joined = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    line = next(line for line in joined.splitlines() if line.startswith("HEALTHCHECK"))
    command = json.loads(line.split(" CMD ", 1)[1])
    assert command[0] == "python"
    env = {**os.environ, "HADIR_PORT": str(port)}
    assert subprocess.run([sys.executable, *command[1:]], env=env, timeout=30).returncode == 0
    handler.status = 503
    assert subprocess.run([sys.executable, *command[1:]], env=env, timeout=30, capture_output=True).returncode != 0
    assert handler.paths == ["/healthz", "/healthz"]


def test_the_build_context_leaves_development_trees_out():
    ignored = {line.strip().rstrip("/") for line in (REPO / ".dockerignore").read_text().splitlines()}
    assert set(DEVELOPMENT) <= ignored


def test_the_wheel_packages_only_services():
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["packages"]["find"]["include"] == ["services*"]


def test_the_image_drops_the_development_console_script():
    """``hadir`` points into tools/, which the image does not have: it is removed after the install."""
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["hadir"].startswith("tools.")
    runs = " ".join(" ".join(args) for op, args in _instructions() if op == "RUN")
    assert "rm -f /opt/hadir/bin/hadir" in runs


def test_no_development_tooling_inside_the_shipped_package():
    assert not (REPO / "services" / "devtools").exists()
    offenders = []
    for path in (REPO / "services").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(REPO)}: {n}" for n in names if n.split(".")[0] in DEVELOPMENT]
    assert offenders == [], "the services import development tooling"
