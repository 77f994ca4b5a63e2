"""An EventConsumer in a process of its own, for the crash tests (SIGKILL).

    python -m tests.runtime.consumer_proc --bootstrap B --database-url URL --topic T --group G
        [--batch-size N] [--handler-delay S] [--crash-after-effects K]

It consumes the probe event type of ``--topic`` (see ``tests.runtime.conftest``) and
writes one ``effects`` row per applied event, tagged with its pid. With
``--crash-after-effects K`` it SIGKILLs itself right after the first database commit
that brings its applied events to K or more: the effect is durable, the Kafka offset
is not committed — the window in which a crash must not double an effect.
Runs until SIGTERM (then stops the broker cleanly).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

from prometheus_client import CollectorRegistry

from services.runtime import db
from services.runtime.consumer import EventConsumer
from services.runtime.kafka import make_broker
from services.runtime.metrics import RuntimeMetrics
from services.runtime.settings import Settings
from tests.runtime.conftest import INBOX, probe_event_class, record_effect, register_event_class


async def main(args: argparse.Namespace) -> None:
    event_cls = probe_event_class(args.topic)
    register_event_class(event_cls)
    engine = db.make_engine(args.database_url)
    registry = CollectorRegistry()
    broker = make_broker(Settings(service="consumer-proc", kafka_bootstrap_servers=args.bootstrap), registry)
    write_effect = record_effect(args.group, pid=os.getpid())
    applied = 0

    async def handler(session, envelope, event) -> None:  # type: ignore[no-untyped-def]
        nonlocal applied
        if args.handler_delay:
            await asyncio.sleep(args.handler_delay)
        await write_effect(session, envelope, event)
        applied += 1

    def after_commit() -> None:
        if args.crash_after_effects and applied >= args.crash_after_effects:
            print(f"crashing after {applied} effects, before the offset commit", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    consumer = EventConsumer(
        group_id=args.group,
        handlers={event_cls: handler},
        sessions=db.make_sessions(engine),
        inbox_table=INBOX,
        broker=broker,
        metrics=RuntimeMetrics(registry),
        after_commit=after_commit,
        batch_size=args.batch_size,
    )
    consumer.register()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await broker.start()
    print(f"consuming {args.topic} as {args.group} (pid {os.getpid()})", flush=True)
    await stop.wait()
    await broker.stop()
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--handler-delay", type=float, default=0.0)
    parser.add_argument("--crash-after-effects", type=int, default=0)
    asyncio.run(main(parser.parse_args()))
