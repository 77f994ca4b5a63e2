"""Base class of every event payload."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    """A payload with its CloudEvents type, its topic and its ordering subject.

    Consumers ignore fields they do not know, so producers may add optional fields
    within a major version.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    TYPE: ClassVar[str]
    TOPIC: ClassVar[str]

    def subject(self) -> str:
        """What the event is about; with the tenant it forms the partition key."""
        raise NotImplementedError
