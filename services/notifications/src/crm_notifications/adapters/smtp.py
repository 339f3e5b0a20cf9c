"""Sending e-mail over SMTP (stdlib smtplib in a worker thread, one connection per batch).

A reply of 5xx is permanent; 4xx, a dropped connection or a timeout is worth another try.
Every message carries a `Message-ID` fixed when it was queued, so a resend after a crash
(accepted by the server, not yet marked sent) is recognisable as the same message.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from crm_notifications.config import NotificationsSettings


@dataclass(frozen=True)
class OutgoingMessage:
    from_address: str
    to_address: str
    subject: str
    text: str
    html: str | None
    message_id: str
    date: datetime
    headers: dict[str, str] = field(default_factory=dict)

    def build(self) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.from_address
        message["To"] = self.to_address
        message["Subject"] = self.subject
        message["Message-ID"] = self.message_id
        message["Date"] = format_datetime(self.date)
        for name, value in self.headers.items():
            message[name] = value
        message.set_content(self.text)
        if self.html is not None:
            message.add_alternative(self.html, subtype="html")
        return message


@dataclass(frozen=True)
class SendResult:
    ok: bool
    permanent: bool = False
    error: str | None = None


def _code_error(code: int, reply: bytes | str) -> SendResult:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    return SendResult(ok=False, permanent=code >= 500, error=f"{code} {text}".strip())


class SmtpMailer:
    def __init__(self, settings: NotificationsSettings) -> None:
        self._settings = settings

    async def send_many(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        if not messages:
            return []
        return await asyncio.to_thread(self._send_all, list(messages))

    def _connect(self) -> smtplib.SMTP:
        s = self._settings
        client: smtplib.SMTP
        if s.smtp_ssl:
            client = smtplib.SMTP_SSL(
                s.smtp_host,
                s.smtp_port,
                timeout=s.smtp_timeout_s,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s)
            if s.smtp_starttls:
                client.starttls(context=ssl.create_default_context())
        if s.smtp_username and s.smtp_password is not None:
            client.login(s.smtp_username, s.smtp_password.get_secret_value())
        return client

    def _send_all(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        results: list[SendResult] = []
        try:
            client = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            return [SendResult(ok=False, error=f"cannot reach the mail server: {exc!r}")] * len(
                messages
            )
        try:
            for index, message in enumerate(messages):
                try:
                    refused = client.send_message(message.build())
                except smtplib.SMTPRecipientsRefused as exc:
                    code, reply = next(iter(exc.recipients.values()))
                    results.append(_code_error(code, reply))
                except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                    results.append(_code_error(exc.smtp_code, exc.smtp_error))
                except (OSError, smtplib.SMTPException) as exc:
                    # The connection is gone: this and the rest are tried again later.
                    rest = len(messages) - index
                    results.extend([SendResult(ok=False, error=repr(exc))] * rest)
                    return results
                else:
                    if refused:
                        code, reply = next(iter(refused.values()))
                        results.append(_code_error(code, reply))
                    else:
                        results.append(SendResult(ok=True))
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
        return results
