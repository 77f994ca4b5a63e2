"""Settings of the check-in service: the common ``HADIR_*`` ones and its web app's."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field

from services.runtime.settings import Settings

POLICY_PORT = 8002


class CheckinSettings(Settings):
    # HADIR_MAP_TILE_URL / HADIR_MAP_ATTRIBUTION: the check-in page's map tiles ({z}/{x}/{y}); empty: no map
    # tiles (the page says where the phone is in words); the tile server's origin is added to the page's img-src.
    map_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    map_attribution: str = "© OpenStreetMap contributors"
    # HADIR_POLICY_PUBLIC_URL: where browsers reach the policy service (the page reads the employee's places and
    # absences there, services.runtime.page_cors); empty: this host on port 8002. Added to the page's connect-src.
    policy_public_url: str = Field(default="", max_length=500)

    def policy_url(self, scheme: str, host: str | None) -> str:
        """Where the browser that asked ``host`` reaches the policy service (no trailing slash)."""
        configured = self.policy_public_url.strip().rstrip("/")
        return configured or f"{scheme}://{host or '127.0.0.1'}:{POLICY_PORT}"

    @property
    def tile_origin(self) -> str:
        """The tile server's origin (scheme://host[:port]) for the page's img-src; "" when none."""
        parts = urlsplit(self.map_tile_url.strip())
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""
