"""The notices of one window (``report.due_soon``, ``report.overdue``), encoded at once.

A window closing for 100,000 people stages 100,000 notices that differ only in the
employee and unit. :func:`payload_factory` validates the common fields once through
the event model and gives each payload as the model's own JSON (same keys, same
order) with the varying fields put in: the JSON text around them is cut once, and
each payload is those pieces joined with its own values JSON-encoded. The scheduler
stages them with :func:`services.runtime.outbox.stage_many` as
:class:`services.runtime.outbox.Encoded` items — the one way events reach the outbox.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from services.contracts.base import Event


def payload_factory(cls: type[Event], vary: tuple[str, ...], **common: Any) -> Callable[..., bytes]:
    """A fast JSON encoder for many events of ``cls`` that differ only in the string fields ``vary``.

    The common fields are validated once through the model; each payload is the
    model's own JSON (same keys, same order) with the varying fields substituted.
    """
    sample: dict[str, Any] = {}
    for name, field in cls.model_fields.items():
        if name not in common and field.is_required():
            sample[name] = "0"
    template = json.loads(cls(**{**sample, **common}).model_dump_json())
    holes = {name: f"\x00{n}\x00" for n, name in enumerate(vary)}  # JSON-escaped: cannot occur in the text
    text = json.dumps({**template, **holes}, separators=(",", ":"), ensure_ascii=False)
    spots = sorted((text.index(json.dumps(hole)), name) for name, hole in holes.items())
    pieces, order, start = [], [], 0
    for at, name in spots:
        pieces.append(text[start:at])
        order.append(name)
        start = at + len(json.dumps(holes[name]))
    tail = text[start:]
    encode = json.encoder.encode_basestring  # type: ignore[attr-defined]  # what json.dumps gives a str (ensure_ascii=False)

    def build(**varying: str) -> bytes:
        if varying.keys() != holes.keys():
            raise ValueError(f"{cls.__name__} payload varies in {sorted(holes)}, not {sorted(varying)}")
        parts: list[str] = []
        for piece, name in zip(pieces, order, strict=True):
            parts += (piece, encode(varying[name]))
        parts.append(tail)
        return "".join(parts).encode()

    return build
