"""Real receivers on loopback for the notify tests: an SMTP server (aiosmtpd) and an
HTTP server (the standard library's, in a thread) that records every request and
answers from a per-path script. Both run outside the test's event loop, as a mail
server or an integrator's endpoint would."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Mail:
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_content()


class _MailHandler:
    def __init__(self, box: MailServer) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 — aiosmtpd's hook
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.box.lock:
            self.box.mails.append(Mail(list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class MailServer:
    """An SMTP server on 127.0.0.1 that keeps what it is sent."""

    def __init__(self, port: int) -> None:
        self.lock = threading.Lock()
        self.mails: list[Mail] = []
        self.port = port
        self.controller = Controller(_MailHandler(self), hostname="127.0.0.1", port=port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def to(self, address: str, subject_contains: str = "") -> list[Mail]:
        with self.lock:
            return [m for m in self.mails if address in m.rcpt_tos and subject_contains in m.subject]


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float
    answered: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Records POSTs; ``script(path, [500, 500, 200])`` sets the next answers of a path,
    after which it answers ``default`` (200). ``hold(path)`` keeps a path's requests
    waiting (recorded) until the event it returns is set; ``endless(path)`` answers 200
    with a body that never ends, until the client hangs up."""

    requests: list[Request] = field(default_factory=list)
    scripts: dict[str, deque[int]] = field(default_factory=lambda: defaultdict(deque))
    defaults: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    held: dict[str, threading.Event] = field(default_factory=dict)
    streaming: set[str] = field(default_factory=set)
    hung_up: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 — http.server's hook
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.lock:
                    script = receiver.scripts[self.path]
                    answer = script.popleft() if script else receiver.defaults.get(self.path, 200)
                    receiver.requests.append(Request(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                     body, time.time(), answer))
                    gate, endless = receiver.held.get(self.path), self.path in receiver.streaming
                if gate is not None:
                    gate.wait(timeout=60)
                if endless:
                    self._stream_forever()
                    return
                payload = b"{}"
                if answer < 300 and "/messages" in self.path:
                    payload = json.dumps({"messaging_product": "whatsapp",
                                          "messages": [{"id": f"wamid.{len(receiver.requests)}"}]}).encode()
                self.send_response(answer)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _stream_forever(self) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/plain")
                self.end_headers()  # no length: the body lasts until the connection closes
                try:
                    while True:
                        self.wfile.write(b"x" * 65536)
                except OSError:  # the client hung up
                    with receiver.lock:
                        receiver.hung_up.add(self.path)
                self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def script(self, path: str, answers: list[int], default: int = 200) -> None:
        with self.lock:
            self.scripts[path].extend(answers)
            self.defaults[path] = default

    def answer_always(self, path: str, status: int) -> None:
        with self.lock:
            self.scripts[path].clear()
            self.defaults[path] = status

    def hold(self, path: str) -> threading.Event:
        with self.lock:
            return self.held.setdefault(path, threading.Event())

    def endless(self, path: str) -> None:
        with self.lock:
            self.streaming.add(path)

    def at(self, path: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.path == path]


# --- Standard Webhooks verification, written from the spec, independent of the service ---------


class BadSignature(Exception):
    pass


def verify_standard_webhook(secret: str, headers: dict[str, str], body: bytes, *, tolerance: float = 300,
                            now: float | None = None) -> None:
    """Raise BadSignature unless one ``v1`` signature matches HMAC-SHA256 over
    ``{webhook-id}.{webhook-timestamp}.{body}`` with the base64 key after ``whsec_``,
    and the timestamp is within ``tolerance`` seconds of now."""
    try:
        msg_id = headers["webhook-id"]
        timestamp = headers["webhook-timestamp"]
        signatures = headers["webhook-signature"]
    except KeyError as exc:
        raise BadSignature(f"missing header {exc}") from exc
    if not timestamp.isdigit():
        raise BadSignature("timestamp is not integer seconds")
    if abs((now or time.time()) - int(timestamp)) > tolerance:
        raise BadSignature("timestamp outside tolerance")
    if not secret.startswith("whsec_"):
        raise BadSignature("secret without whsec_ prefix")
    key = base64.b64decode(secret[len("whsec_"):])
    expected = base64.b64encode(
        hmac.new(key, msg_id.encode() + b"." + timestamp.encode() + b"." + body, hashlib.sha256).digest())
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected):
            return
    raise BadSignature("no signature matches")
