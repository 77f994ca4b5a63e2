"""Settings of the reporting service (``HADIR_REPORTING_*``), besides the common ``HADIR_*`` ones."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.runtime.settings import Settings


class ReportingSettings(Settings):
    model_config = SettingsConfigDict(env_ignore_empty=True)

    reporting_scan_seconds: float = Field(default=5.0, gt=0, description="how often the scheduler looks at windows")
    reporting_settle_seconds: float = Field(
        default=10.0, ge=0, description="how long after a deadline a window closes (check-ins captured before it "
                                        "can still arrive)")
    reporting_closure_max_hold_seconds: float = Field(
        default=300.0, ge=0, description="how long a window past deadline + settle waits for the pipeline's watermark "
                                         "(every check-in accepted before the deadline evaluated) before it closes "
                                         "anyway, flagged as forced")
    reporting_due_soon_minutes: float = Field(default=15.0, ge=0,
                                              description="report.due_soon this long before a deadline; 0 never")
    reporting_lookback_days: int = Field(default=3, ge=0, description="past days a restarted instance catches up on")
    reporting_metrics_seconds: float = Field(default=15.0, gt=0, description="how often the gauges are recomputed")
    reporting_score_weights: dict[str, Any] | None = Field(
        default=None, description="default discipline-score weights (JSON object)")
