"""Consumer group ids carry the instance suffix (HADIR_INSTANCE) so that suites run side by side on
one broker never share a group, and stay exactly ``hadir-<service>-<group>`` in a deployment."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from services.checkin import handlers, store
from services.runtime.service import ServiceRuntime
from services.runtime.settings import Settings

MIGRATIONS = Path(store.__file__).parent / "migrations"


def group_of(**settings: object) -> str:
    rt = ServiceRuntime(Settings(service="checkin", database_url="sqlite+aiosqlite:///:memory:",
                                 kafka_bootstrap_servers="127.0.0.1:9", **settings), store.Base.metadata, MIGRATIONS)
    return rt.consume("main", handlers.subscriptions(rt)).group_id


def test_without_an_instance_the_group_id_is_unchanged() -> None:
    assert group_of() == "hadir-checkin-main"


def test_an_instance_suffixes_the_group_id() -> None:
    assert group_of(instance="run-1a2b3c4d") == "hadir-checkin-main-run-1a2b3c4d"


def test_the_instance_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HADIR_INSTANCE", "ci-7")
    assert group_of() == "hadir-checkin-main-ci-7"


@pytest.mark.parametrize("instance", ["two words", "a/b", "x" * 41])
def test_an_instance_unfit_for_a_topic_name_is_refused(instance: str) -> None:
    """The dead-letter topic is named after the group, so the suffix must be a legal topic name part."""
    with pytest.raises(pydantic.ValidationError):
        Settings(instance=instance)
