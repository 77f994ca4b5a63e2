"""``python -m tools.oidc [--port 9400]``: the local OIDC provider for `make run`, its users the demo
tenant's (``pegawai``: a BKD analyst, ``kepala``: the head of BKD, ``bkd``: a tenant admin; any
password), its client the pages of `make run`. Ctrl-C stops it. Then run the services with
``HADIR_OIDC_ISSUER=http://127.0.0.1:<port> HADIR_OIDC_ROLES_CLAIM=realm_access.roles``."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys

from tools import demo
from tools.oidc import ProviderUnavailable, started


def demo_users() -> dict[str, dict[str, object]]:
    employee, head = demo.sample_employee(), demo.sample_head()
    return {
        "pegawai": {"name": employee.name, "nip": employee.nip, "unit": employee.unit_id,
                    "realm_access": {"roles": ["employee"]}},
        "kepala": {"name": head.name, "nip": head.nip, "unit": head.unit_id,
                   "realm_access": {"roles": ["unit_head", "employee"]}},
        "bkd": {"name": "Admin BKD", "realm_access": {"roles": ["tenant_admin"]}},
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.oidc", description=__doc__)
    parser.add_argument("--port", type=int, default=9400)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the provider on the way out, as Ctrl-C does
    try:
        with started(users=demo_users(), tenant=demo.TENANT_ID, port=args.port) as provider:
            print(f"OIDC provider at {provider.issuer} (client {provider.client_id}); users: pegawai, kepala, bkd")
            print(f"  HADIR_OIDC_ISSUER={provider.issuer} HADIR_OIDC_ROLES_CLAIM=realm_access.roles make run")
            with contextlib.suppress(KeyboardInterrupt):
                provider.process.wait()
    except ProviderUnavailable as exc:
        raise SystemExit(str(exc)) from None


if __name__ == "__main__":
    main()
