"""What notify's routes need besides the runtime, as typed dependencies.

The composition root (``services/notify/app.py``) puts the delivery loop and the
service's settings section on ``app.state``; routes name :data:`Worker` or
:data:`Settings` and get exactly those objects (the ones ``build()`` was given).
"""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

from typing import Annotated

from fastapi import Depends, Path, Request

from services.notify.delivery import DeliveryWorker
from services.notify.sealing import SecretBox
from services.notify.settings import NotifySettings


async def delivery_worker(request: Request) -> DeliveryWorker:
    """The delivery loop of this application (woken when a row is due again)."""
    return request.app.state.delivery  # type: ignore[no-any-return]


async def notify_settings(request: Request) -> NotifySettings:
    """The ``HADIR_NOTIFY_*`` settings this application runs with."""
    return request.app.state.notify_settings  # type: ignore[no-any-return]


async def secret_box(request: Request) -> SecretBox:
    """What seals webhook signing secrets before they are stored."""
    return request.app.state.secret_box  # type: ignore[no-any-return]


Box = Annotated[SecretBox, Depends(secret_box)]
Worker = Annotated[DeliveryWorker, Depends(delivery_worker)]
Settings = Annotated[NotifySettings, Depends(notify_settings)]

IdPath = Annotated[str, Path(max_length=36, pattern=r"^[^\x00]*$")]
"""A row's id in a path (a notification, a subscription)."""
