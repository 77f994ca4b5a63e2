"""The loop that publishes circular-letter versions when their day comes.

Every ``interval`` seconds it calls :func:`.letters.publish_due`, which is safe
to run in every replica at once (each version is claimed exactly once). A
service that was down over midnight catches up at its first round; the event's
``ce_time`` and ``effective_at`` still say when the version took effect.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import structlog

from services.policy.letters import publish_due
from services.runtime.service import ServiceRuntime

log = structlog.get_logger(__name__)


class LetterScheduler:
    def __init__(self, rt: ServiceRuntime, interval: float) -> None:
        self.rt = rt
        self.interval = interval

    async def run(self) -> None:
        while True:
            try:
                while await publish_due(self.rt, datetime.now(UTC)) > 0:
                    pass  # a full batch: there may be more
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database down: try again next round
                log.warning("letter scheduling round failed", error=repr(exc))
            await asyncio.sleep(self.interval)
