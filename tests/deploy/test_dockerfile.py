"""The production image carries the services and nothing of the development tooling.

No Docker engine is needed: the Dockerfile, ``.dockerignore`` and the package discovery of
``pyproject.toml`` are read as text, and the shipped package is searched for imports of the
tooling."""

from __future__ import annotations

import ast
import shlex
import tomllib

from tests.deploy.support import REPO

SHIPPED = {"pyproject.toml", "README.md", "services"}
DEVELOPMENT = ("tools", "tests", "bench")


def _instructions() -> list[tuple[str, list[str]]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), shlex.split(line)[1:]) for line in lines]


def test_the_image_copies_only_the_shipped_package():
    copies = [args for op, args in _instructions() if op in {"COPY", "ADD"}]
    sources = {source.rstrip("/") for args in copies for source in args[:-1] if not source.startswith("--")}
    assert sources, "the Dockerfile copies nothing?"
    assert sources <= SHIPPED, f"the image copies {sorted(sources - SHIPPED)} besides the services"


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
    assert "rm -f /usr/local/bin/hadir" in runs


def test_no_development_tooling_inside_the_shipped_package():
    assert not (REPO / "services" / "devtools").exists()
    offenders = []
    for path in (REPO / "services").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(REPO)}: {n}" for n in names if n.split(".")[0] in DEVELOPMENT]
    assert offenders == [], "the services import development tooling"
