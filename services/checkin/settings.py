"""Settings of the check-in service: the common ``HADIR_*`` ones and its web app's."""

from __future__ import annotations

from services.runtime.settings import Settings


class CheckinSettings(Settings):
    web_allowed_origins: str = "*"  # HADIR_WEB_ALLOWED_ORIGINS: origins of the web app's API, comma-separated

    @property
    def allowed_origins(self) -> set[str]:
        return {o.strip().rstrip("/") for o in self.web_allowed_origins.split(",") if o.strip()}
