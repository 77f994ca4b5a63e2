"""Prometheus metrics of the plumbing. One registry per service process.

Labels stay bounded: service, topic, consumer group, method, route template,
status class, tenant reference and category at most — never an employee. ``/metrics``
answers without credentials, so no label value names a tenant: a per-tenant metric is
labelled ``tenant_ref`` by :class:`TenantRefs`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class TenantRefs:
    """A tenant's opaque label value: ``t-`` and the first 16 hex digits of
    HMAC-SHA256(key, tenant id). Tenant ids are few and guessable, so a plain hash could be
    reversed by trying them; a keyed one cannot without the key. With the key
    (``HADIR_METRICS_TENANT_KEY``, the same on every replica) an operator maps a tenant to
    its reference (``hadir tenant-ref``); without one configured, each process draws a random
    key, and references then differ between replicas and restarts."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)
        self._refs: dict[str, str] = {}

    def __call__(self, tenant: str) -> str:
        ref = self._refs.get(tenant)
        if ref is None:
            digest = hmac.new(self._key, tenant.encode(), hashlib.sha256).hexdigest()
            ref = self._refs[tenant] = f"t-{digest[:16]}"
        return ref


class RuntimeMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.outbox_backlog = Gauge(
            "hadir_outbox_backlog", "Outbox rows not yet published to Kafka", registry=registry
        )
        self.outbox_published = Counter(
            "hadir_outbox_published_total", "Outbox rows published", ["topic"], registry=registry
        )
        self.outbox_parked = Counter(
            "hadir_outbox_parked_total",
            "Outbox rows Kafka will never take (too large, unencodable), parked with their reason",
            ["topic"], registry=registry,
        )
        self.outbox_publish_failures = Counter(
            "hadir_outbox_publish_failures_total",
            "Relay rounds that failed to publish (Kafka unreachable, timeouts)",
            registry=registry,
        )
        self.events_handled = Counter(
            "hadir_events_handled_total",
            "Events applied by a consumer (after inbox deduplication)",
            ["group", "type"],
            registry=registry,
        )
        self.events_duplicate = Counter(
            "hadir_events_duplicate_total",
            "Redelivered events skipped by the inbox",
            ["group"],
            registry=registry,
        )
        self.tombstones_skipped = Counter(
            "hadir_tombstones_skipped_total",
            "Tombstones (null values) a consumer read but has no handler for: skipped, never dead-lettered",
            ["group", "topic"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "hadir_dead_letters_total",
            "Messages sent to a dead-letter topic",
            ["group", "topic"],
            registry=registry,
        )
        self.dead_letter_failures = Counter(
            "hadir_dead_letter_failures_total",
            "Records Kafka refused even as a dead letter in parts: left on their topic, logged at error level",
            ["group", "topic"],
            registry=registry,
        )
        self.consumer_retries = Counter(
            "hadir_consumer_retries_total",
            "Batches retried after a transient failure",
            ["group"],
            registry=registry,
        )
        self.consumer_lag = Gauge(
            "hadir_consumer_lag",
            "Messages not yet committed by a consumer group (end offset - committed offset)",
            ["group", "topic", "partition"],
            registry=registry,
        )
        self.group_commit_size = Histogram(
            "hadir_group_commit_size",
            "Jobs (e.g. requests) that shared one transaction of a group commit",
            registry=registry,
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
        )
        self.group_commit_failures = Counter(
            "hadir_group_commit_failures_total",
            "Group commits whose transaction failed (every job that had succeeded in it got the error)",
            registry=registry,
        )
        self.ready = Gauge("hadir_ready", "1 when Kafka and the database answer, else 0", registry=registry)
        self.http_requests = Counter(
            "hadir_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=registry,
        )
        self.http_refused = Counter(
            "hadir_http_refused_total",
            "HTTP requests refused before their route read them, by reason (body_too_large, unauthenticated, "
            "rate_limited_principal, rate_limited_address)",
            ["reason"],
            registry=registry,
        )
        self.http_duration = Histogram(
            "hadir_http_request_duration_seconds",
            "HTTP request duration",
            ["method", "route"],
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
