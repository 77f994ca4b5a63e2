"""Development signing keys and tokens for local use (``hadir token``) and tests.

Production installations point ``HADIR_JWT_JWKS_FILE`` at their identity
provider's JWKS instead; nothing here is used on that path.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

KID = "hadir-dev-1"


def ensure_dev_keys(directory: Path) -> tuple[Path, Path]:
    """Create an ES256 key pair and its JWKS once; return (private key, jwks) paths."""
    directory.mkdir(parents=True, exist_ok=True)
    private_path, jwks_path = directory / "private.pem", directory / "jwks.json"
    if not private_path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        private_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        private_path.chmod(0o600)
    if not jwks_path.exists():
        loaded = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(loaded.public_key()))  # type: ignore[arg-type]
        jwk.update(kid=KID, use="sig", alg="ES256")
        jwks_path.write_text(json.dumps({"keys": [jwk]}, indent=2))
    return private_path, jwks_path


def issue_token(
    private_key: Path,
    *,
    subject: str,
    roles: list[str],
    tenant: str | None = None,
    nip: str | None = None,
    unit: str | None = None,
    issuer: str = "hadir-dev",
    audience: str = "hadir",
    ttl_seconds: int = 12 * 3600,
) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": subject, "iss": issuer, "aud": audience, "iat": now, "exp": now + ttl_seconds,
        "roles": roles,
    }
    if tenant:
        claims["tenant"] = tenant
    if nip:
        claims["nip"] = nip
    if unit:
        claims["unit"] = unit
    return jwt.encode(claims, private_key.read_bytes(), algorithm="ES256", headers={"kid": KID})
