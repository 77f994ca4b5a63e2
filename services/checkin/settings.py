"""Settings of the check-in service: the common ``HADIR_*`` ones and its web app's."""

from __future__ import annotations

from urllib.parse import urlsplit

from services.runtime.settings import Settings


class CheckinSettings(Settings):
    web_allowed_origins: str = "*"  # HADIR_WEB_ALLOWED_ORIGINS: origins of the web app's API, comma-separated
    # HADIR_MAP_TILE_URL / HADIR_MAP_ATTRIBUTION: the check-in page's map tiles ({z}/{x}/{y}); empty: no map
    # tiles (the page says where the phone is in words); the tile server's origin is added to the page's img-src.
    map_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    map_attribution: str = "© OpenStreetMap contributors"

    @property
    def allowed_origins(self) -> set[str]:
        return {o.strip().rstrip("/") for o in self.web_allowed_origins.split(",") if o.strip()}

    @property
    def tile_origin(self) -> str:
        """The tile server's origin (scheme://host[:port]) for the page's img-src; "" when none."""
        parts = urlsplit(self.map_tile_url.strip())
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""
