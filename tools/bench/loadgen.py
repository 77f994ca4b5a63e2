"""An open-loop HTTP load generator: requests are *scheduled* at a fixed rate, whatever the
server answers, and each latency is measured from the request's scheduled send time, so a
server that stalls is charged for every request it delayed (no coordinated omission).

    python -m tools.bench.loadgen CONFIG.json   # prints one JSON result line

It runs as its own process (uvloop) so that its CPU is counted apart and the driver's
probes do not disturb its clock. The HTTP/1.1 client is a few dozen lines on asyncio
protocols over keep-alive connections: a general-purpose client (httpx) costs more CPU per
request than the services it would measure, on a 2-core machine that also runs them.

Config keys: ``host``, ``port``, ``path``; ``rate`` (requests/s), ``duration`` (s of
schedule), ``warmup`` (s excluded from the figures), ``drain`` (s to keep sending requests
still queued when the schedule ends; the rest are dropped and counted), ``connections``;
``mode``: ``single`` (one check-in per request) or ``batch`` (``batch_items`` check-ins of
one employee per request, ``POST …/batch``); ``employees``: a list of ``[token, lat, lon]``,
used round-robin; ``kind`` of check-in (``location`` or ``attendance``); ``tag``, a prefix
that makes idempotency keys unique across runs.

The result: offered and achieved rates, status counts, dropped and failed requests, and
latency percentiles (p50/p90/p99/p99.9/max) of the requests scheduled after the warm-up.
SIGTERM ends the schedule early (the driver does so once a backlog shows the rate cannot
be sustained); what was scheduled until then is still sent, answered and reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import resource
import signal
import sys
import time
from array import array
from datetime import UTC, datetime
from typing import Any


class ConnectionLost(Exception):
    pass


class HttpConnection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time (no pipelining)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionLost(repr(exc)))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        length = 0
        at = head.find(b"\r\ncontent-length:")
        if at >= 0:
            stop = head.find(b"\r\n", at + 2)
            length = int(head[at + 17: stop if stop >= 0 else None])
        elif b"transfer-encoding: chunked" in head:
            if not self.buffer.endswith(b"0\r\n\r\n"):
                return
            length = len(self.buffer) - end - 4
        if len(self.buffer) < end + 4 + length:
            return
        status = int(head[9:12])
        del self.buffer[: end + 4 + length]
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(status)

    def request(self, payload: bytes) -> asyncio.Future[int]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(payload)
        return self.waiter


class Pool:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    async def connect(self) -> HttpConnection:
        loop = asyncio.get_running_loop()
        _, proto = await loop.create_connection(HttpConnection, self.host, self.port)
        return proto


class Requests:
    """Builds the bytes of request ``i`` (employee ``i mod n``, a fresh idempotency key)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.host = config["host"]
        self.path = config["path"]
        self.mode = config.get("mode", "single")
        self.items = int(config.get("batch_items", 1)) if self.mode == "batch" else 1
        self.kind = config.get("kind", "location")
        self.tag = config.get("tag", "r")
        self.employees = [(f"Bearer {t}", float(lat), float(lon)) for t, lat, lon in config["employees"]]

    def _checkin(self, lat: float, lon: float, captured: str, key: str | None) -> str:
        extra = f',"idempotency_key":"{key}"' if key else ""
        if self.kind == "attendance":
            return f'{{"kind":"attendance","captured_at":"{captured}"{extra}}}'
        return (f'{{"kind":"location","captured_at":"{captured}","location":{{"latitude":{lat:.6f},'
                f'"longitude":{lon:.6f},"accuracy_m":12}}{extra}}}')

    def build(self, i: int) -> bytes:
        token, lat, lon = self.employees[i % len(self.employees)]
        captured = datetime.now(UTC).isoformat()
        jitter = (i % 97) * 1e-6
        if self.mode == "batch":
            body = '{"items":[' + ",".join(
                self._checkin(lat + jitter, lon, captured, f"{self.tag}-{i}-{k}") for k in range(self.items)) + "]}"
            key_header = ""
        else:
            body = self._checkin(lat + jitter, lon, captured, None)
            key_header = f"idempotency-key: {self.tag}-{i}\r\n"
        data = body.encode()
        return (f"POST {self.path} HTTP/1.1\r\nhost: {self.host}\r\nauthorization: {token}\r\n"
                f"content-type: application/json\r\n{key_header}content-length: {len(data)}\r\n\r\n").encode() + data


async def run(config: dict[str, Any]) -> dict[str, Any]:
    rate = float(config["rate"])
    duration = float(config["duration"])
    warmup = float(config.get("warmup", 2.0))
    drain = float(config.get("drain", 10.0))
    connections = int(config.get("connections", 64))
    requests = Requests(config)
    pool = Pool(config["host"], int(config["port"]))
    total = int(rate * duration)

    scheduled = array("d", bytes(8 * total))  # offset of each request's scheduled send time
    latency = array("d", [float("nan")]) * total  # seconds from scheduled send to the full response
    status = array("H", bytes(2 * total))  # 0: not sent (dropped) or failed
    failures: dict[str, int] = {}
    queue: asyncio.Queue[int | None] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    clock = time.perf_counter  # uvloop's loop.time() has millisecond steps, cached per iteration
    dispatch_lag = 0.0
    stop_sending_at = float("inf")

    conns = [await pool.connect() for _ in range(connections)]
    gc.collect()
    gc.freeze()
    t0 = clock() + 0.05

    async def worker(slot: int) -> None:
        conn = conns[slot]
        while True:
            i = await queue.get()
            if i is None:
                return
            if clock() > stop_sending_at:
                continue  # dropped: still queued when the drain period ended
            payload = requests.build(i)
            for attempt in (1, 2):
                try:
                    if conn.closed:
                        conn = conns[slot] = await pool.connect()
                    code = await conn.request(payload)
                except (ConnectionLost, OSError) as exc:
                    conn.closed = True
                    if attempt == 2:
                        name = type(exc).__name__
                        failures[name] = failures.get(name, 0) + 1
                        break
                    continue
                latency[i] = clock() - (t0 + scheduled[i])
                status[i] = code
                break

    workers = [asyncio.create_task(worker(k)) for k in range(connections)]
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    sent = 0
    while sent < total and not stop.is_set():
        now = clock()
        due = min(total, int((now - t0) * rate) + 1)
        while sent < due:
            scheduled[sent] = sent / rate
            queue.put_nowait(sent)
            sent += 1
        dispatch_lag = max(dispatch_lag, now - (t0 + (due - 1) / rate))
        if sent < total:  # wake at most every 1 ms: the due requests go out together, their
            # latency still counted from their own scheduled times
            await asyncio.sleep(max(0.001, t0 + sent / rate - clock()))
    duration = sent / rate
    stop_sending_at = t0 + duration + drain
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    ended = clock()
    for conn in conns:
        if conn.transport is not None:
            conn.transport.close()
    result = summarise(config, requests.items, scheduled[:sent], latency[:sent], status[:sent], failures, t0,
                       ended, warmup, duration, dispatch_lag)
    result["stopped_early"] = sent < total
    result["scheduled_s"] = round(duration, 2)
    return result


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def summarise(config: dict[str, Any], items: int, scheduled: array, latency: array, status: array,
              failures: dict[str, int], t0: float, ended: float, warmup: float, duration: float,
              dispatch_lag: float) -> dict[str, Any]:
    total = len(scheduled)
    codes: dict[str, int] = {}
    measured: list[float] = []
    ok_in_window = 0
    window_end = duration
    for i in range(total):
        code = status[i]
        codes[str(code)] = codes.get(str(code), 0) + 1
        if 200 <= code < 300:
            done = scheduled[i] + latency[i]
            if warmup <= done <= window_end:
                ok_in_window += 1
            if scheduled[i] >= warmup:
                measured.append(latency[i])
    measured.sort()
    ok = sum(n for c, n in codes.items() if c.startswith("2"))
    dropped = codes.pop("0", 0) - sum(failures.values())

    def ms(q: float) -> float | None:
        value = percentile(measured, q)
        return None if value is None else round(value * 1000, 2)

    window = max(1e-9, window_end - warmup)
    return {
        "mode": config.get("mode", "single"),
        "checkins_per_request": items,
        "offered_rps": float(config["rate"]),
        "requests": total,
        "ok": ok,
        "status_counts": codes,
        "dropped": dropped,
        "failed": failures,
        "achieved_rps": round(ok_in_window / window, 1),
        "achieved_checkins_per_s": round(ok_in_window * items / window, 1),
        "elapsed_s": round(ended - t0, 2),
        "latency_ms": {"p50": ms(0.50), "p90": ms(0.90), "p99": ms(0.99), "p999": ms(0.999),
                       "max": ms(1.0), "samples": len(measured)},
        "dispatch_lag_ms_max": round(dispatch_lag * 1000, 2),
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    with open(args[0]) as handle:
        config = json.load(handle)
    factory = None
    with contextlib.suppress(ImportError):
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        result = runner.run(run(config))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
