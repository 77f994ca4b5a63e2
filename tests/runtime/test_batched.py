"""Set-based handlers in the consumer (:class:`services.runtime.consumer.Batched`): a batched
handler gets each run of consecutive events of its type in one call, the order across types
holds, a redelivered event is not handed over again, and one event that fails is dead-lettered
alone while the rest of its batch is applied. (The consumer's records are fed to it directly,
on SQLite; the Kafka side of the consumer is tested in ``test_consumer``.)"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aiokafka import ConsumerRecord
from prometheus_client import CollectorRegistry
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.contracts import topics
from services.contracts.base import Event
from services.contracts.envelope import Envelope
from services.contracts.registry import EVENT_TYPES
from services.runtime import db
from services.runtime.consumer import Batched, Decoded, EventConsumer
from services.runtime.inbox import define_inbox
from services.runtime.metrics import RuntimeMetrics

TOPIC = "test.batched.v1"
METADATA = MetaData()
INBOX = define_inbox(METADATA)
EFFECTS = Table("effects", METADATA, Column("n", Integer, primary_key=True, autoincrement=True),
                Column("what", String(40)))


class Marked(Event):
    TYPE: ClassVar[str] = "hadir.test.batched.marked.v1"
    TOPIC: ClassVar[str] = TOPIC
    name: str
    fail: bool = False

    def subject(self) -> str:
        return "same-key"


class Other(Marked):
    TYPE: ClassVar[str] = "hadir.test.batched.other.v1"


class DeadLetters:
    """The broker as the consumer's dead-letter path uses it."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    async def publish(self, value: bytes, topic: str, *, key: bytes | None, headers: dict[str, str]) -> None:
        self.published.append({"value": value, "topic": topic, "headers": headers})


@pytest.fixture
async def sessions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    for cls in (Marked, Other):
        monkeypatch.setitem(EVENT_TYPES, cls.TYPE, cls)
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path}/batched.sqlite")
    async with engine.begin() as connection:
        await connection.run_sync(METADATA.create_all)
    yield db.make_sessions(engine)
    await engine.dispose()


def records(*events: Event) -> list[ConsumerRecord]:
    out = []
    for offset, event in enumerate(events):
        envelope = Envelope(type=event.TYPE, source="/hadir/test", tenant="t1", subject=event.subject(),
                            data=event.model_dump_json().encode())
        out.append(ConsumerRecord(TOPIC, 0, offset, 0, 0, envelope.key.encode(), envelope.data, None, 0, 0,
                                  tuple((k, v.encode()) for k, v in envelope.headers().items())))
    return out


class Recorder:
    """A batched handler of ``Marked`` (fails a call holding an event marked ``fail``) and a
    one-at-a-time handler of ``Other``, both writing their effects."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    async def batch(self, session: AsyncSession, run: Sequence[Decoded]) -> None:
        names = [d.event.name for d in run]  # type: ignore[attr-defined]
        self.calls.append(names)
        if any(d.event.fail for d in run):  # type: ignore[attr-defined]
            raise ValueError("cannot apply " + ",".join(names))
        await session.execute(insert(EFFECTS), [{"what": n} for n in names])

    async def one(self, session: AsyncSession, envelope: Envelope, event: Other) -> None:
        self.calls.append([f"one:{event.name}"])
        await session.execute(insert(EFFECTS).values(what=event.name))


def consumer(sessions: async_sessionmaker[AsyncSession], recorder: Recorder, broker: DeadLetters) -> EventConsumer:
    return EventConsumer(group_id="batched-test", handlers={Marked: Batched(recorder.batch), Other: recorder.one},
                         sessions=sessions, inbox_table=INBOX, broker=broker,  # type: ignore[arg-type]
                         metrics=RuntimeMetrics(CollectorRegistry()))


async def effects(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        return list((await session.scalars(select(EFFECTS.c.what).order_by(EFFECTS.c.n))).all())


async def test_each_run_of_a_type_is_one_call_and_the_order_across_types_holds(sessions) -> None:  # type: ignore[no-untyped-def]
    recorder = Recorder()
    await consumer(sessions, recorder, DeadLetters()).process(
        records(Marked(name="a1"), Marked(name="a2"), Other(name="b1"), Marked(name="a3")))
    assert recorder.calls == [["a1", "a2"], ["one:b1"], ["a3"]]
    assert await effects(sessions) == ["a1", "a2", "b1", "a3"]


async def test_a_redelivered_batch_is_not_handed_over_again(sessions) -> None:  # type: ignore[no-untyped-def]
    recorder, batch = Recorder(), records(Marked(name="a1"), Marked(name="a2"))
    worker = consumer(sessions, recorder, DeadLetters())
    await worker.process(batch)
    await worker.process(batch)  # the same records again, as after a crash before the commit
    assert recorder.calls == [["a1", "a2"]]
    assert await effects(sessions) == ["a1", "a2"]


async def test_a_failing_event_is_dead_lettered_alone_and_its_neighbours_applied(sessions) -> None:  # type: ignore[no-untyped-def]
    recorder, broker = Recorder(), DeadLetters()
    await consumer(sessions, recorder, broker).process(
        records(Marked(name="a1"), Marked(name="bad", fail=True), Marked(name="a3")))
    assert await effects(sessions) == ["a1", "a3"]
    assert recorder.calls[0] == ["a1", "bad", "a3"]  # first the whole run, then one by one
    assert recorder.calls[1:] == [["a1"], ["bad"], ["a3"]]
    [letter] = broker.published
    assert letter["topic"] == topics.dead_letter_topic("batched-test")
    assert "cannot apply bad" in letter["headers"]["dlq_reason"]
