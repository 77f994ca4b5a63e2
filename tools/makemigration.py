"""Autogenerate an Alembic revision for one service from its models.

    python -m tools.makemigration checkin "add verdict columns"
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path

from services.runtime import migrations


def main(service: str, message: str) -> None:
    store = importlib.import_module(f"services.{service}.store")
    versions = Path(str(importlib.import_module(f"services.{service}").__file__)).parent / "migrations"
    versions.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/schema.db"
        migrations.upgrade(versions, url, store.Base.metadata)
        migrations.revision(versions, url, store.Base.metadata, message)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "change")
