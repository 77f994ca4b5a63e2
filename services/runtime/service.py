"""Composition root shared by the services: database, broker, outbox relay,
consumers, background loops and the FastAPI lifespan that starts and stops them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import structlog
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import MetaData

from services.contracts import topics
from services.runtime import apikeys, auth, db, migrations, relay, signin, telemetry
from services.runtime.body_limit import BodyLimits
from services.runtime.consumer import EventConsumer, Subscriptions
from services.runtime.gate import Gatekeeper
from services.runtime.group_commit import Apply, GroupCommit, I, R
from services.runtime.http import create_app
from services.runtime.kafka import Producer, ensure_topics, make_broker, partition_count
from services.runtime.lag import LagMonitor
from services.runtime.logging import configure_logging
from services.runtime.marks import MarkSource, Stamping
from services.runtime.metrics import RuntimeMetrics
from services.runtime.rate_limit import RateLimiter
from services.runtime.settings import Settings

log = structlog.get_logger(__name__)

STOP_SECONDS = 15  # how long a stop waits for the background tasks, and again for the broker


class ServiceRuntime:
    """Everything a service process runs besides its own domain."""

    def __init__(self, settings: Settings, metadata: MetaData, versions_dir: Path) -> None:
        self.settings = settings
        self.source = f"/hadir/{settings.service}"
        self.metadata = metadata
        self.versions_dir = versions_dir
        self.registry = CollectorRegistry()
        self.metrics = RuntimeMetrics(self.registry)
        self.engine = db.make_engine(settings.database_url)
        self.tracer_provider = telemetry.start(settings.service)  # None: tracing off, nothing instrumented
        if self.tracer_provider is not None:
            telemetry.instrument_engine(self.engine, self.tracer_provider)
        self.sessions = db.make_sessions(self.engine)
        self.broker = make_broker(settings, self.registry)
        self.producer = Producer(settings)
        self.outbox = metadata.tables.get("outbox")
        self.inbox = metadata.tables.get("inbox")
        self.relay = (
            relay.OutboxRelay(
                self.sessions,
                self.outbox,
                self.producer.send_many,
                self.metrics,
                batch_size=settings.outbox_batch_size,
                round_chunks=settings.outbox_round_chunks,
                poll_seconds=settings.outbox_poll_seconds,
                publish_timeout=settings.publish_timeout_seconds,
            )
            if self.outbox is not None
            else None
        )
        self.group_commits: list[GroupCommit[Any, Any]] = []
        self.authenticator = auth.Authenticator(settings.jwt_jwks_file, settings.jwt_issuer, settings.jwt_audience,
                                                apikeys.ApiKeyStore(apikeys.path_for(settings)),
                                                oidc_issuer=auth.oidc_trusted(settings))
        self.current_principal = auth.principal_dependency(self.authenticator)
        self.body_limits = BodyLimits(settings.max_body_bytes)  # a service allows its larger bodies here
        self.gatekeeper = Gatekeeper(
            self.authenticator,
            principals=RateLimiter(settings.rate_limit_principal_per_second, settings.rate_limit_principal_burst),
            addresses=RateLimiter(settings.rate_limit_address_per_second, settings.rate_limit_address_burst))
        self.consumers: list[EventConsumer] = []
        self._loops: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.kafka_connected = asyncio.Event()
        self.readiness_warnings: dict[str, str] = {}  # listed by /readyz, never making it 503

    # --- wiring ----------------------------------------------------------------

    def consume(self, group_suffix: str, handlers: Subscriptions,
                after_commit: Callable[[], None] | None = None) -> EventConsumer:
        """Consume with ``handlers``; after each committed batch the relay is woken (and ``after_commit`` called)."""
        if self.inbox is None:
            raise RuntimeError("a consuming service needs an inbox table")
        consumer = EventConsumer(
            group_id="-".join(filter(None, ("hadir", self.settings.service, group_suffix, self.settings.instance))),
            handlers=handlers,
            sessions=self.sessions,
            inbox_table=self.inbox,
            broker=self.broker,
            metrics=self.metrics,
            after_commit=self.wake_relay if after_commit is None else _both(self.wake_relay, after_commit),
            batch_size=self.settings.consumer_batch_size,
            publish_timeout=self.settings.publish_timeout_seconds,
        )
        consumer.register()
        self.consumers.append(consumer)
        return consumer

    def stamp(self, source: MarkSource) -> None:
        """Have the outbox relay stamp ``source.topic`` with watermark marks (:mod:`.marks`)."""
        assert self.relay is not None, "a service that stamps a topic has an outbox"
        bootstrap = self.settings.kafka_bootstrap_servers
        self.relay.stamp_with(Stamping(
            source, self.producer.send,
            lambda topic: partition_count(bootstrap, topic), ce_source=self.source,
            interval=self.settings.outbox_mark_seconds, timeout=self.settings.publish_timeout_seconds))

    def group_commit(self, apply: Apply[I, R]) -> GroupCommit[I, R]:
        """Concurrent submissions applied together by ``apply`` in one transaction per group
        (:mod:`.group_commit`), closed when the service stops."""
        # Through self.sessions at each group, so that the sessions a test swaps in are used.
        gc: GroupCommit[I, R] = GroupCommit(lambda: self.sessions(), apply, workers=self.settings.group_commit_workers,
                                            max_jobs=self.settings.group_commit_max_jobs, metrics=self.metrics)
        self.group_commits.append(gc)
        return gc

    def loop(self, name: str, body: Callable[[], Awaitable[None]]) -> None:
        """A background coroutine started after Kafka is connected (e.g. a scheduler)."""
        self._loops.append((name, body))

    def role(self, *roles: str) -> Callable[..., auth.Principal]:
        return auth.require_roles(self.current_principal, *roles)

    def wake_relay(self) -> None:
        if self.relay is not None:
            self.relay.wake()

    # --- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        configure_logging(self.settings.service, self.settings.log_level, self.settings.log_json)
        await migrations.upgrade_async(self.versions_dir, self.settings.database_url, self.metadata)
        self._spawn("kafka-connect", self._connect_kafka)
        self._spawn("readiness", self._watch_readiness)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            # Bounded: a task that swallows its cancellation must not keep the process from stopping.
            done, pending = await asyncio.wait(self._tasks, timeout=STOP_SECONDS)
            for task in done:
                if not task.cancelled():
                    task.exception()  # retrieved: a crash was logged by _spawn's guard
            for task in pending:
                log.warning("background task did not stop in time", task=task.get_name(), seconds=STOP_SECONDS)
        for gc in self.group_commits:
            await gc.close(grace=STOP_SECONDS)
        # aiokafka's producer.stop() can wait forever after a publish timed out while
        # Kafka was down: bound it so a shutdown always completes.
        for client in (self.producer, self.broker):
            with contextlib.suppress(Exception):
                async with asyncio.timeout(STOP_SECONDS):
                    await client.stop()
        await self.engine.dispose()

    def _spawn(self, name: str, body: Callable[[], Awaitable[None]]) -> None:
        async def guarded() -> None:
            try:
                await body()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background task crashed", task=name)
                raise

        self._tasks.append(asyncio.create_task(guarded(), name=name))

    async def _connect_kafka(self) -> None:
        """Create topics and start the broker, retrying until Kafka answers."""
        wanted = list(topics.ALL) + [c.dead_letter_topic for c in self.consumers]
        delay = 0.5
        while True:
            try:
                await ensure_topics(self.settings.kafka_bootstrap_servers, wanted,
                                    self.settings.topic_partitions, self.settings.topic_replication)
                await self.broker.start()
                await self.producer.start()
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("kafka not reachable yet", error=repr(exc), retry_in=delay)
                with contextlib.suppress(Exception):
                    await self.broker.stop()
                with contextlib.suppress(Exception):
                    await self.producer.stop()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
        self.kafka_connected.set()
        log.info("kafka connected", bootstrap=self.settings.kafka_bootstrap_servers)
        if self.relay is not None:
            self._spawn("outbox-relay", self.relay.run)
        for name, body in self._loops:
            self._spawn(name, body)
        if self.consumers:
            monitor = LagMonitor(self.metrics.consumer_lag, self.settings.kafka_bootstrap_servers,
                                 {c.group_id: c.topics for c in self.consumers},
                                 interval=self.settings.lag_interval_seconds)
            self._spawn("consumer-lag", monitor.run)

    async def readiness(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        try:
            async with asyncio.timeout(2):
                await db.ping(self.engine)
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["database"] = f"unreachable: {type(exc).__name__}"
        if not self.kafka_connected.is_set():
            checks["kafka"] = "connecting"
        else:
            checks["kafka"] = "ok" if await self.broker.ping(timeout=2) else "unreachable"
        self.metrics.ready.set(1 if all(v == "ok" for v in checks.values()) else 0)
        return checks

    async def _watch_readiness(self) -> None:
        """Keep ``hadir_ready`` current even when nobody probes /readyz."""
        while True:
            await self.readiness()
            await asyncio.sleep(self.settings.lag_interval_seconds)

    def app(self, *, title: str, description: str) -> FastAPI:
        @contextlib.asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        app = create_app(title=title, description=description, metrics=self.metrics,
                         readiness=self.readiness, lifespan=lifespan, body_limits=self.body_limits,
                         gatekeeper=self.gatekeeper, traced=self.tracer_provider is not None,
                         warnings=lambda: dict(self.readiness_warnings))
        if self.tracer_provider is not None:
            telemetry.instrument_app(app, self.tracer_provider)
        app.state.runtime = self  # what services.runtime.deps hands to the routes
        app.include_router(signin.router(self.settings))
        return app


def serve(app: FastAPI, settings: Settings) -> None:
    """Run one service with uvicorn (``python -m services.<name>``): uvloop's event loop and
    the httptools parser (both come with ``uvicorn[standard]``; the pure-Python ones when
    missing), no access log (request metrics are in ``/metrics``)."""
    import importlib.util

    import uvicorn

    fast = {name: importlib.util.find_spec(name) is not None for name in ("uvloop", "httptools")}
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False,
                loop="uvloop" if fast["uvloop"] else "asyncio", http="httptools" if fast["httptools"] else "h11",
                timeout_graceful_shutdown=15)


def _both(first: Callable[[], None], second: Callable[[], None]) -> Callable[[], None]:
    def call() -> None:
        first()
        second()
    return call
