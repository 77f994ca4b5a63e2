"""Settings of the notify service: the common ``HADIR_*`` ones (:class:`NotifyServiceSettings`,
extending the runtime's) and its own ``HADIR_NOTIFY_*`` section (:class:`NotifySettings`)."""

from __future__ import annotations

from datetime import time

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.runtime.settings import Settings

PERSON_CHANNELS = ("email", "whatsapp")
LANGUAGES = ("id", "en")


class NotifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HADIR_NOTIFY_", extra="ignore")

    consumer_group: str = Field(default="main", pattern=r"^[a-z0-9-]+$",
                                description="suffix of the consumer group id hadir-notify-<suffix>")
    default_timezone: str = "Asia/Jakarta"
    default_language: str = "id"
    default_channels: str = Field(default="email,whatsapp",
                                  description="channels used for people without a preference, comma-separated")

    # email over SMTP; no host means the channel is off
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "Hadir <noreply@hadir.go.id>"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_implicit_tls: bool = False

    # WhatsApp Business Cloud API; all three are needed for the channel to be on
    whatsapp_base_url: str | None = Field(default=None, description="e.g. https://graph.facebook.com/v21.0")
    whatsapp_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None

    # webhooks for integrators
    webhooks_enabled: bool = True
    webhook_allow_private_targets: bool = Field(
        default=False, description="allow loopback/private addresses (tests, on-premise integrators)")
    webhook_rotation_grace_seconds: float = Field(default=24 * 3600, ge=0)
    secret_keys: SecretStr | None = Field(
        default=None, description="Fernet keys, comma-separated, newest first: webhook signing secrets are "
        "encrypted with the first and read with any (unset: a development key under var/dev-keys)")
    webhook_max_response_bytes: int = Field(default=64 * 1024, ge=0,
                                            description="read at most this much of a receiver's answer")

    # the delivery loop
    delivery_poll_seconds: float = Field(default=1.0, gt=0)
    delivery_batch_size: int = Field(default=50, ge=1)
    delivery_concurrency: int = Field(default=10, ge=1, description="sends in flight at once")
    delivery_tenant_concurrency: int = Field(default=3, ge=1, description="of those, at most this many per tenant")
    send_timeout_seconds: float = Field(default=15.0, gt=0)
    lease_seconds: float = Field(default=120.0, gt=0, description="a claimed row is retried after this")
    retry_base_seconds: float = Field(default=30.0, gt=0)
    retry_max_seconds: float = Field(default=3600.0, gt=0)
    retry_horizon_seconds: float = Field(default=24 * 3600, gt=0,
                                         description="after this long since the first attempt: dead")

    # defaults of the per-tenant settings (PUT /v1/settings overrides them)
    quiet_hours_start: time | None = time(21, 0)
    quiet_hours_end: time | None = time(6, 0)
    escalate_daily: int = Field(default=3, ge=0, description="overdue notices in a day before the head hears; 0 off")
    escalate_weekly: int = Field(default=8, ge=0, description="the same within an ISO week; 0 off")
    escalate_bkd_days: int = Field(default=0, ge=0, le=31,
                                   description="days with a missed window in a month before the BKD hears; 0 off")
    roster_reminder_time: time = Field(default=time(16, 0), description="local time of the day-before reminder")

    @field_validator("default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"one of {LANGUAGES}")
        return value

    @property
    def channels(self) -> list[str]:
        wanted = [c.strip() for c in self.default_channels.split(",") if c.strip()]
        return [c for c in wanted if c in PERSON_CHANNELS]

    @property
    def smtp_enabled(self) -> bool:
        return bool(self.smtp_host)

    @property
    def whatsapp_enabled(self) -> bool:
        return bool(self.whatsapp_base_url and self.whatsapp_token and self.whatsapp_phone_number_id)


class NotifyServiceSettings(Settings):
    """The notify process's one settings object: the common settings plus its section."""

    notify: NotifySettings = Field(default_factory=NotifySettings)
