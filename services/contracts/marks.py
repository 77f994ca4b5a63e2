"""Watermarks of the check-in pipeline: event-time marks that let reporting close a window
only once every check-in accepted before its deadline has been evaluated and projected.

- The check-in service's outbox relay stamps every partition of ``checkin.received`` with a
  :class:`CheckinsReceivedMark`: every check-in accepted (``received_at``) at or before
  ``accepted_until`` that went to this partition is on it *before* this mark.
- The policy service, having consumed a partition up to such a mark (so its verdicts of
  everything before it are committed), forwards it into ``checkin.evaluated`` as a
  :class:`CheckinsEvaluatedMark` on every partition of that topic, after those verdicts.
- Reporting keeps the latest mark per (evaluated partition, received partition); the
  lowest of them, once every pair is known, is the pipeline's watermark.

Marks are about the pipeline, not a tenant: their envelope's tenant is :data:`MARK_TENANT`,
which no tenant id can be. Consumers that do not handle a mark type skip it (like any
event type they do not need).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, Field

from services.contracts import topics
from services.contracts.base import Event

MARK_TENANT = "_pipeline"  # an id starting with "_", which no id the API accepts does


class CheckinsReceivedMark(Event):
    """Every check-in accepted at or before ``accepted_until`` on this partition precedes this mark."""

    TYPE: ClassVar[str] = "hadir.checkin.received.mark.v1"
    TOPIC: ClassVar[str] = topics.CHECKIN_RECEIVED

    partition: int = Field(ge=0, lt=10_000, description="the partition of checkin.received this mark is on")
    partitions: int = Field(ge=1, le=10_000, description="how many partitions checkin.received has")
    accepted_until: AwareDatetime = Field(description="UTC; check-ins accepted up to here are before the mark")

    def subject(self) -> str:
        return f"mark-{self.partition}"


class CheckinsEvaluatedMark(Event):
    """Every verdict on a check-in of ``source_partition`` accepted at or before ``accepted_until``
    that went to this partition of ``checkin.evaluated`` precedes this mark."""

    TYPE: ClassVar[str] = "hadir.checkin.evaluated.mark.v1"
    TOPIC: ClassVar[str] = topics.CHECKIN_EVALUATED

    partition: int = Field(ge=0, lt=10_000, description="the partition of checkin.evaluated this mark is on")
    partitions: int = Field(ge=1, le=10_000, description="how many partitions checkin.evaluated has")
    source_partition: int = Field(ge=0, lt=10_000, description="the partition of checkin.received it forwards")
    source_partitions: int = Field(ge=1, le=10_000, description="how many partitions checkin.received has")
    accepted_until: AwareDatetime = Field(description="UTC, as in the forwarded CheckinsReceivedMark")

    def subject(self) -> str:
        return f"mark-{self.source_partition}-{self.partition}"
