"""WhatsApp over an HTTP API in the WhatsApp Business Cloud API message format:

    POST {base}/{phone_number_id}/messages
    Authorization: Bearer <token>
    {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "62812...",
     "type": "text", "text": {"preview_url": false, "body": "..."}}

The base URL is configurable (Meta's Graph API, an on-premise gateway, a test server).
Free-form text reaches a person only inside WhatsApp's customer-service window;
outside it the provider answers with an error, logged as the attempt's outcome.
"""

from __future__ import annotations

import re

import httpx

from services.notify.channels.base import Message, Outcome, http_outcome
from services.notify.settings import NotifySettings


def normalise_phone(phone: str) -> str | None:
    """Indonesian numbers to WhatsApp's international digits: ``0812-3456-789`` → ``628123456789``."""
    digits = re.sub(r"\D", "", phone)
    if phone.strip().startswith("+"):
        pass
    elif digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8"):
        digits = "62" + digits
    return digits if 8 <= len(digits) <= 15 else None


def message_payload(to: str, body: str) -> dict[str, object]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"preview_url": False, "body": body[:4096]},
    }


class WhatsAppSender:
    def __init__(self, settings: NotifySettings, client: httpx.AsyncClient) -> None:
        self._s = settings
        self._client = client

    async def send(self, message: Message) -> Outcome:
        s = self._s
        to = normalise_phone(message.address or "")
        if to is None:
            return Outcome.failed(f"not a phone number: {message.address!r}")
        assert s.whatsapp_base_url and s.whatsapp_token and s.whatsapp_phone_number_id
        url = f"{s.whatsapp_base_url.rstrip('/')}/{s.whatsapp_phone_number_id}/messages"
        text = f"*{message.subject}*\n\n{message.body}"
        try:
            response = await self._client.post(
                url, json=message_payload(to, text), timeout=s.send_timeout_seconds,
                headers={"Authorization": f"Bearer {s.whatsapp_token.get_secret_value()}"},
            )
        except httpx.HTTPError as exc:
            return Outcome.retry(repr(exc))
        outcome = http_outcome(response.status_code, response.text, response.headers.get("retry-after"))
        if outcome.result == "ok":
            try:
                ref = response.json()["messages"][0]["id"]
            except (ValueError, KeyError, IndexError, TypeError):
                ref = None
            return Outcome.ok(provider_ref=ref, status_code=response.status_code)
        if response.status_code == 401:  # an expired token is the operator's to fix: keep retrying
            return Outcome.retry(outcome.error or "unauthorised", 401)
        return outcome
