"""Development tokens for tests."""

from __future__ import annotations

from pathlib import Path

from services.runtime.devkeys import issue_token


class Tokens:
    def __init__(self, private_key: Path) -> None:
        self.private_key = private_key

    def headers(self, *, tenant: str | None, roles: list[str], nip: str | None = None,
                unit: str | None = None, subject: str = "test") -> dict[str, str]:
        token = issue_token(self.private_key, subject=subject, roles=roles, tenant=tenant, nip=nip, unit=unit)
        return {"Authorization": f"Bearer {token}"}

    def admin(self, tenant: str) -> dict[str, str]:
        return self.headers(tenant=tenant, roles=["tenant_admin"], subject=f"admin@{tenant}")

    def employee(self, tenant: str, nip: str, unit: str) -> dict[str, str]:
        return self.headers(tenant=tenant, roles=["employee"], nip=nip, unit=unit, subject=nip)
