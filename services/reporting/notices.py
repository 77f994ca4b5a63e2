"""The notices of one window (``report.due_soon``, ``report.overdue``), encoded at once.

A window closing for 100,000 people stages 100,000 notices that differ only in the
employee and unit. :func:`payload_factory` validates the common fields once through
the event model and gives each payload as the model's own JSON (same keys, same
order) with the varying fields put in; the scheduler stages them with
:func:`services.runtime.outbox.stage_many` as :class:`services.runtime.outbox.Encoded`
items — the one way events reach the outbox.
"""

from __future__ import annotations

import json
from typing import Any

from services.contracts.base import Event


def payload_factory(cls: type[Event], **common: Any):  # type: ignore[no-untyped-def]
    """A fast JSON encoder for many events of ``cls`` that differ only in a few fields.

    The common fields are validated once through the model; each payload is the
    model's own JSON (same keys, same order) with the varying fields substituted.
    """
    def build(**varying: Any) -> bytes:
        return json.dumps({**template, **varying}, separators=(",", ":"), ensure_ascii=False).encode()

    sample: dict[str, Any] = {}
    for name, field in cls.model_fields.items():
        if name not in common and field.is_required():
            sample[name] = "0"
    template = json.loads(cls(**{**sample, **common}).model_dump_json())
    return build
