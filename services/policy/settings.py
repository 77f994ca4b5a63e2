"""Settings of the policy service: the common ``HADIR_*`` ones and its scheduler's."""

from __future__ import annotations

from pydantic import Field

from services.runtime.settings import Settings


class PolicySettings(Settings):
    policy_scheduler_seconds: float = Field(default=30.0, gt=0,
                                            description="how often letters that took effect are published")
    publish_directory_v1: bool = Field(
        default=False,
        description="also publish the deprecated directory.updated.v1 (home coordinates and contacts in every "
                    "record) during a migration period: docs/integration.md, Migrating to directory.updated.v2")
