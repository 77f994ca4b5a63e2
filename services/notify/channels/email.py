"""Email over SMTP with aiosmtplib. The Message-ID is derived from the notification id,
so a message re-sent after a crash between the server's acceptance and our bookkeeping
can be recognised as the same one."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from services.notify.channels.base import Message, Outcome
from services.notify.settings import NotifySettings


def build_email(message: Message, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.address or ""
    email["Subject"] = message.subject
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = f"<{message.id}@notify.hadir>"
    email["Content-Language"] = message.language
    email["Auto-Submitted"] = "auto-generated"
    email["X-Hadir-Notification"] = message.id
    email.set_content(message.body)
    return email


class EmailSender:
    def __init__(self, settings: NotifySettings) -> None:
        self._s = settings

    async def send(self, message: Message) -> Outcome:
        s = self._s
        if not message.address:
            return Outcome.failed("no email address")
        email = build_email(message, s.smtp_from)
        try:
            await aiosmtplib.send(
                email,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username,
                password=s.smtp_password.get_secret_value() if s.smtp_password else None,
                start_tls=s.smtp_starttls,
                use_tls=s.smtp_implicit_tls,
                timeout=s.send_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            if codes and all(500 <= c < 600 for c in codes):
                return Outcome.failed(f"recipient refused: {exc}", codes[0])
            return Outcome.retry(f"recipient refused: {exc}", codes[0] if codes else None)
        except aiosmtplib.SMTPResponseException as exc:
            if isinstance(exc, aiosmtplib.SMTPDataError | aiosmtplib.SMTPRecipientRefused) and 500 <= exc.code < 600:
                return Outcome.failed(f"SMTP {exc.code}: {exc.message}", exc.code)
            return Outcome.retry(f"SMTP {exc.code}: {exc.message}", exc.code)
        except (aiosmtplib.SMTPException, OSError) as exc:
            return Outcome.retry(repr(exc))
        return Outcome.ok(provider_ref=email["Message-ID"])
