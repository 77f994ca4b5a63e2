"""Alembic migrations, one history per service.

The Alembic environment (env.py, template) lives once in ``runtime/alembic``; each
service keeps only its revision files in ``services/<name>/migrations``. After the
revisions, every table with a ``tenant`` column gets PostgreSQL row-level security
(:mod:`services.runtime.rls`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData

from services.runtime import rls

ENV_DIR = Path(__file__).parent / "alembic"


def alembic_config(versions_dir: Path, url: str, metadata: MetaData) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ENV_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(versions_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["target_metadata"] = metadata
    return config


def upgrade(versions_dir: Path, url: str, metadata: MetaData) -> None:
    """Bring the database to the newest revision, then install row-level security
    (blocking; runs its own event loop)."""
    command.upgrade(alembic_config(versions_dir, url, metadata), "head")
    rls.install_url(url)


async def upgrade_async(versions_dir: Path, url: str, metadata: MetaData) -> None:
    await asyncio.to_thread(upgrade, versions_dir, url, metadata)


def revision(versions_dir: Path, url: str, metadata: MetaData, message: str) -> None:
    """Autogenerate a new revision from the models (developer tool)."""
    command.revision(
        alembic_config(versions_dir, url, metadata), message=message, autogenerate=True
    )
