"""Webhook signing secrets encrypted at rest (Fernet; MultiFernet for key rotation).

A stored secret is a Fernet token made with the first key of
``HADIR_NOTIFY_SECRET_KEYS`` (comma-separated, newest first); any of the keys decrypts
it. A stored value that still starts with ``whsec_`` is a secret written before
encryption: it is read as it is, and :func:`reseal` (run by the delivery loop when the
service starts) encrypts it, and re-encrypts tokens of an older key with the first one,
so after a rotation the old key can be dropped once a start has logged the resealing.

Without configured keys a development key is made once under ``var/dev-keys/`` (as the
development JWT keys are) and a warning says so; installations set the variable.
"""

from __future__ import annotations

from pathlib import Path

import structlog
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notify.domain.signing import PREFIX
from services.notify.settings import NotifySettings
from services.notify.store import WebhookSecret
from services.runtime.settings import ConfigurationError, Settings

log = structlog.get_logger(__name__)

DEV_KEY_FILE = Path("dev-keys") / "notify-secret.key"

__all__ = ["InvalidToken", "SecretBox", "from_settings", "reseal"]


class SecretBox:
    """Seals secrets with the first key, opens them with any (and legacy plaintext as it is)."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("at least one key")
        self._first = Fernet(keys[0])
        self._any = MultiFernet([Fernet(key) for key in keys])

    def seal(self, secret: str) -> str:
        return self._first.encrypt(secret.encode()).decode("ascii")

    def open(self, stored: str) -> str:
        """The secret; raises :class:`InvalidToken` when no configured key made it."""
        if stored.startswith(PREFIX):
            return stored
        return self._any.decrypt(stored.encode()).decode()

    def current(self, stored: str) -> bool:
        """True when ``stored`` is already a token of the first key."""
        try:
            self._first.decrypt(stored.encode())
        except InvalidToken:
            return False
        return True


def from_settings(settings: NotifySettings, common: Settings) -> SecretBox:
    """The keys of ``HADIR_NOTIFY_SECRET_KEYS``; without them, in development only, a key made
    once under the var directory (anywhere else the service refuses to start, as for JWKS)."""
    if settings.secret_keys is not None:
        keys = [k.strip().encode() for k in settings.secret_keys.get_secret_value().split(",") if k.strip()]
        try:
            return SecretBox(keys)
        except ValueError as exc:  # a placeholder, a truncated key: say so instead of a Fernet traceback
            raise ConfigurationError(
                "HADIR_NOTIFY_SECRET_KEYS bukan daftar kunci Fernet / HADIR_NOTIFY_SECRET_KEYS is not a list of "
                "Fernet keys (32 random bytes, base64url, comma-separated, newest first)") from exc
    if common.environment != "development":
        raise ConfigurationError(
            "HADIR_NOTIFY_SECRET_KEYS belum diatur: di luar pengembangan rahasia webhook memerlukan kunci "
            "(Fernet) / HADIR_NOTIFY_SECRET_KEYS is not set: outside development webhook signing secrets need a "
            "Fernet key; a development key is made only with HADIR_ENVIRONMENT=development")
    path = common.var_dir / DEV_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    log.warning("HADIR_NOTIFY_SECRET_KEYS is not set: webhook secrets use a development key", path=str(path))
    return SecretBox([path.read_bytes().strip()])


async def reseal(sessions: async_sessionmaker[AsyncSession], box: SecretBox) -> int:
    """Encrypt legacy plaintext secrets and re-encrypt older keys' tokens with the first key;
    return how many rows changed. A token no configured key opens is left alone (logged)."""
    changed = 0
    async with sessions() as session, session.begin():
        rows = (await session.scalars(select(WebhookSecret).with_for_update(skip_locked=True))).all()
        for row in rows:
            if box.current(row.secret):
                continue
            try:
                row.secret = box.seal(box.open(row.secret))
            except InvalidToken:
                log.error("webhook secret not readable with HADIR_NOTIFY_SECRET_KEYS", secret_id=row.id)
                continue
            changed += 1
    if changed:
        log.info("webhook secrets resealed with the first key", count=changed)
    return changed
