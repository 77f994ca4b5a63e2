"""The ``log`` channel: notices no channel could carry are recorded there as ``skipped`` and never sent
(:mod:`services.notify.domain.people`); this sender only finishes ``pending`` rows older versions left on it."""

from __future__ import annotations

import structlog

from services.notify.channels.base import Message, Outcome

log = structlog.get_logger(__name__)


class LogSender:
    async def send(self, message: Message) -> Outcome:
        log.info("notification", notification_id=message.id, tenant=message.tenant, kind=message.kind,
                 recipient=message.recipient, subject=message.subject)
        return Outcome.ok()
