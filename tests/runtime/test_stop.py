"""A service's stop is bounded: a background task that swallows its cancellation does not
keep the process (or a test session) from ending."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import MetaData

from services.runtime import service
from services.runtime.service import ServiceRuntime
from services.runtime.settings import load_settings


async def test_stop_returns_when_a_task_ignores_its_cancellation(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "STOP_SECONDS", 0.5)
    settings = load_settings("stop-test", 0).model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", "kafka_bootstrap_servers": "127.0.0.1:1"})
    rt = ServiceRuntime(settings, MetaData(), tmp_path)
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                continue  # swallows every cancellation

    rt._spawn("stubborn", stubborn)
    await asyncio.sleep(0)
    started = time.monotonic()
    await rt.stop()
    assert time.monotonic() - started < 5
    release.set()
    for task in rt._tasks:
        task.cancel()
