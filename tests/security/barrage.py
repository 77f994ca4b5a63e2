"""Cross-tenant calls built from a service's OpenAPI document at run time.

Every operation (path + method) becomes requests whose path parameters are the victim
tenant's real ids, whose query parameters point at its units, people and days, and whose
bodies are the victim's own objects (as it sent them; once more with a ``tenant`` field
naming the victim) and a minimal valid example of the schema. ``leaks`` finds the victim's
strings in a response that the caller did not send itself; ``Snapshot`` fingerprints every
row of the victim in every service's database.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.security.world import World

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Call:
    service: str
    method: str
    template: str
    url: str
    params: tuple[tuple[str, str], ...]
    json_body: Any = None
    content: str | None = None
    content_type: str | None = None

    def sent(self) -> str:
        """Everything the caller chose to send (its own echo is no leak)."""
        return " ".join([unquote(self.url), json.dumps(self.params), json.dumps(self.json_body),
                         self.content or ""])

    async def send(self, client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
        extra = {"content-type": self.content_type} if self.content_type else {}
        kwargs: dict[str, Any] = {"params": list(self.params), "headers": {**headers, **extra}}
        if self.content is not None:
            kwargs["content"] = self.content.encode()
        elif self.json_body is not None:
            kwargs["json"] = self.json_body
        return await client.request(self.method, self.url, **kwargs)


class Spec:
    """One service's OpenAPI document."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            node: Any = self.doc
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def operations(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for path, item in self.doc.get("paths", {}).items():
            for method, op in item.items():
                if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                    yield path, method.upper(), op

    def example(self, schema: dict[str, Any], world: World, depth: int = 0) -> Any:
        """A small value valid for ``schema`` (best effort: a 422 is a refusal, too)."""
        schema = self.resolve(schema)
        if depth > 8:
            return None
        for key in ("const",):
            if key in schema:
                return schema[key]
        if schema.get("examples"):
            return schema["examples"][0]
        if "example" in schema:
            return schema["example"]
        if schema.get("enum"):
            return schema["enum"][0]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [self.resolve(s) for s in schema[key]]
                options = [s for s in options if s.get("type") != "null"] or options
                return self.example(options[0], world, depth + 1)
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                value = self.example(part, world, depth + 1)
                if isinstance(value, dict):
                    merged.update(value)
            return merged
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            props = schema.get("properties", {})
            return {name: self.example(props[name], world, depth + 1)
                    for name in schema.get("required", []) if name in props}
        if kind == "array":
            return [self.example(schema.get("items", {}), world, depth + 1)
                    for _ in range(max(1, schema.get("minItems", 0)) if schema.get("minItems") else 0)]
        if kind == "integer":
            return int(max(schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1))
        if kind == "number":
            return float(max(schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1))
        if kind == "boolean":
            return False
        return string_example(schema, world)


def string_example(schema: dict[str, Any], world: World) -> str:
    fmt = schema.get("format")
    if fmt == "date":
        return str(world.today)
    if fmt == "date-time":
        return datetime.now(UTC).isoformat()
    if fmt == "time":
        return "08:00:00"
    if fmt == "email":
        return f"x.{world.tag}@example.go.id"
    if fmt in ("uri", "url"):
        return "https://example.go.id/hook"
    pattern = schema.get("pattern")
    candidates = [world.units[0], world.nips[0], world.policy_id, str(world.today), "x" * max(3, schema.get(
        "minLength", 3)), "08:00", "abc@example.go.id", "https://example.go.id", "Asia/Jakarta"]
    for candidate in candidates:
        if pattern is None or re.search(pattern, candidate):
            if len(candidate) <= schema.get("maxLength", 10**6) and len(candidate) >= schema.get("minLength", 0):
                return candidate
    return "x" * max(1, schema.get("minLength", 1))


def path_candidates(name: str, schema: dict[str, Any], victim: World) -> list[str]:
    n = name.lower()
    table: dict[str, list[str]] = {
        "unit_id": victim.units, "unit": victim.units[:1], "nip": victim.nips, "employee_id": victim.nips[:1],
        "recipient": victim.nips[:1], "policy_id": [victim.policy_id], "version": ["1"],
        "day": [str(victim.today)], "date": [str(victim.today)], "month": [victim.today.strftime("%Y-%m")],
        "name": ["Rumah"], "notification_id": victim.notification_ids, "subscription_id": victim.webhook_ids,
        "webhook_id": victim.webhook_ids, "checkin_id": victim.checkin_ids, "id": victim.checkin_ids[:1],
        "tenant": [victim.tenant], "tenant_id": [victim.tenant], "absence_id": victim.absence_ids,
        "correction_id": victim.correction_ids, "job_id": victim.roster_job_ids, "key_id": victim.api_key_ids,
    }
    if table.get(n):
        return table[n]
    if schema.get("type") == "integer":
        return ["1"]
    if schema.get("format") == "date":
        return [str(victim.today)]
    return [victim.units[0]]  # an unknown id: the victim's best-known one


QUERY = {
    "unit_id": lambda v: v.units[0], "parent_id": lambda v: v.units[0], "nip": lambda v: v.nips[0],
    "recipient": lambda v: v.nips[0], "employee_id": lambda v: v.nips[0], "policy_id": lambda v: v.policy_id,
    "date": lambda v: str(v.today), "day": lambda v: str(v.today), "start": lambda v: str(v.today),
    "end": lambda v: str(v.today + timedelta(days=6)), "month": lambda v: v.today.strftime("%Y-%m"),
    "tenant": lambda v: v.tenant,
}


def calls(service: str, base_url: str, spec: Spec, victim: World) -> Iterator[Call]:
    """Every request the attacker makes against one service."""
    for template, method, op in spec.operations():
        params = [spec.resolve(p) for p in op.get("parameters", [])]
        path_params = [p for p in params if p["in"] == "path"]
        fills: list[dict[str, str]] = [{}]
        for p in path_params:
            fills = [{**f, p["name"]: c} for f in fills for c in path_candidates(p["name"], p.get("schema", {}),
                                                                                victim)]
        query: list[tuple[str, str]] = []
        formats: list[str] = [""]
        for p in params:
            if p["in"] != "query":
                continue
            schema = spec.resolve(p.get("schema", {}))
            if p["name"] == "format" and _enum(spec, schema):  # every export format
                formats = _enum(spec, schema)
            elif p["name"] in QUERY:
                query.append((p["name"], QUERY[p["name"]](victim)))
            elif p.get("required"):
                query.append((p["name"], str(spec.example(schema, victim))))
        bodies = list(_bodies(spec, op, method, template, victim))
        for fill in fills:
            url = base_url + re.sub(r"\{([^}]+)\}", lambda m, f=fill: f[m.group(1)], template)  # type: ignore[misc]
            for fmt in formats:
                q = tuple(query + ([("format", fmt)] if fmt else []))
                for json_body, content, content_type in bodies:
                    yield Call(service, method, template, url, q, json_body, content, content_type)


def _enum(spec: Spec, schema: dict[str, Any]) -> list[str]:
    if schema.get("enum"):
        return list(schema["enum"])
    for option in schema.get("anyOf", []):
        if spec.resolve(option).get("enum"):
            return list(spec.resolve(option)["enum"])
    return []


def _bodies(spec: Spec, op: dict[str, Any], method: str, template: str,
            victim: World) -> Iterator[tuple[Any, str | None, str | None]]:
    content = op.get("requestBody", {}).get("content", {})
    if not content:
        yield None, None, None
        return
    own = victim.bodies.get((method, template))
    if "application/json" in content:
        if own is not None:
            yield own, None, None
            if isinstance(own, dict):
                yield {**own, "tenant": victim.tenant}, None, None
        yield spec.example(content["application/json"].get("schema", {}), victim), None, None
    elif any(t in content for t in ("text/csv", "multipart/form-data")):
        yield None, own if isinstance(own, str) else f"kode,nama\n{victim.units[0]},x\n", "text/csv"
    else:
        yield None, "", next(iter(content))


def response_text(response: httpx.Response) -> str:
    """The body as text; a spreadsheet (zip) is unpacked so that its cells are searched too."""
    raw = response.content
    if raw[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            return " ".join(archive.read(n).decode(errors="replace") for n in archive.namelist())
    return raw.decode(errors="replace")


def leaks(response: httpx.Response, victim: World, known: set[str]) -> set[str]:
    """The victim's strings in the response that the caller did not know (had not sent)."""
    body = response_text(response) + " " + " ".join(f"{k}: {v}" for k, v in response.headers.items())
    return {m for m in victim.markers - known if m in body}


class Snapshot:
    """Fingerprints of one tenant's rows in every service database (as the superuser: no RLS):
    tables with a ``tenant`` column by tenant, the others by the tenant's own ids."""

    def __init__(self, engines: dict[str, AsyncEngine]) -> None:
        self.engines = engines

    async def take(self, world: World) -> dict[str, tuple[int, str]]:
        pattern = "|".join(re.escape(i) for i in world.ids)
        out: dict[str, tuple[int, str]] = {}
        for service, engine in self.engines.items():
            async with engine.connect() as conn:
                tables = (await conn.execute(text(
                    "SELECT c.relname, EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid "
                    "AND a.attname = 'tenant' AND NOT a.attisdropped) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'alembic_version'"))).all()
                for table, has_tenant in tables:
                    if not has_tenant and not pattern:
                        continue
                    where, args = ("t.tenant = :v", {"v": world.tenant}) if has_tenant else ("t::text ~ :v",
                                                                                             {"v": pattern})
                    row = (await conn.execute(text(
                        f'SELECT count(*), coalesce(md5(string_agg(t::text, \'|\' ORDER BY t::text)), \'\') '
                        f'FROM "{table}" t WHERE {where}'), args)).one()
                    out[f"{service}.{table}"] = (int(row[0]), str(row[1]))
        return out

    async def settled(self, world: World, *, quiet: int = 3, timeout: float = 60) -> dict[str, tuple[int, str]]:
        """A snapshot that stayed the same ``quiet`` times in a row, a second apart."""
        deadline = time.monotonic() + timeout
        last = await self.take(world)
        same = 0
        while same < quiet:
            if time.monotonic() > deadline:
                raise AssertionError(f"{world.tenant}'s rows keep changing on their own")
            await asyncio.sleep(1)
            now = await self.take(world)
            same = same + 1 if now == last else 0
            last = now
        return last


def diff(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


@dataclass
class Result:
    tried: dict[str, int]
    statuses: dict[str, int]
    ok_without_victim_data: int
    successes: list[str]
    server_errors: list[str]


async def attack(client: httpx.AsyncClient, plan: dict[tuple[str, str, str], list[Call]],
                 creds: dict[str, tuple[dict[str, str], str]], victim: World, snapshot: Snapshot) -> Result:
    """Reads first, while the attacker holds nothing that looks like the victim's; then writes,
    where whatever the attacker has sent so far (the victim's names in bodies, say) is its own
    and may come back to it. After each written endpoint, the victim's rows must be unchanged."""
    result = Result({}, {}, 0, [], [])
    known: set[str] = set()
    limit = asyncio.Semaphore(6)
    start = await snapshot.settled(victim)
    baseline = start

    async def attempt(call: Call, label: str, headers: dict[str, str], claims: str, write: bool) -> None:
        sent = call.sent() + " " + claims
        if write:
            known.update(victim.known_from(sent))
        async with limit:
            response = await call.send(client, headers)
        result.tried[call.service] = result.tried.get(call.service, 0) + 1
        code = str(response.status_code)
        result.statuses[code] = result.statuses.get(code, 0) + 1
        where = f"{call.service} {call.method} {call.url} params={call.params} as {label}"
        if response.status_code >= 500:
            result.server_errors.append(f"{where}: {response.status_code} {response.text[:200]}")
        found = leaks(response, victim, known | victim.known_from(sent))
        if found:
            result.successes.append(f"READ {where}: {response.status_code} shows {sorted(found)}")
        elif 200 <= response.status_code < 300:
            result.ok_without_victim_data += 1

    for writes in (False, True):
        for (service, method, template), group in plan.items():
            if (method in WRITE_METHODS) != writes:
                continue
            await asyncio.gather(*(attempt(call, label, headers, claims, writes) for call in group
                                   for label, (headers, claims) in creds.items()))
            if writes:
                now = await snapshot.take(victim)
                changed = diff(baseline, now)
                if changed:
                    result.successes.append(f"WRITE {service} {method} {template}: victim rows changed in {changed}")
                    baseline = now
    # What the writes set off (events, projections, deliveries) has settled: the victim is as it was.
    changed = diff(start, await snapshot.settled(victim))
    if changed:
        result.successes.append(f"victim rows changed during the run: {changed}")
    return result
