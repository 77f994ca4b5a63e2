"""Write the secrets `docker compose` reads into .env (``make up``), standard library only.

Guarantees: each named variable gets a random value once (a ``*_KEYS`` name a Fernet key: 32 random
bytes, base64url; any other name 32 url-safe characters); values already in the file are kept, so a
variable added later is appended without changing the database passwords PostgreSQL was initialised
with; the file is created and left with mode 0600 (owner only), never world-readable.

Usage: python deploy/compose_env.py PATH NAME...
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
from pathlib import Path


def value_for(name: str) -> str:
    if name.endswith("_KEYS"):
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    return secrets.token_urlsafe(24)


def ensure(path: Path, names: list[str]) -> list[str]:
    """Append the missing ``names`` to ``path`` (created 0600); return the names added."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "r+") as env:
        os.fchmod(fd, 0o600)
        env.seek(0)
        text = env.read()
        present = {line.split("=", 1)[0].strip() for line in text.splitlines() if "=" in line}
        added = [name for name in names if name not in present]
        if added:
            env.write(("" if not text or text.endswith("\n") else "\n") +
                      "".join(f"{name}={value_for(name)}\n" for name in added))
    return added


if __name__ == "__main__":
    target, *wanted = sys.argv[1:]
    new = ensure(Path(target), wanted)
    if new:
        print(f"{target}: added {', '.join(new)}")
