"""The channels: SMTP e-mail, signed webhooks, Apprise (chat tools) and Prefect events.

Each sender delivers one claimed outbox message or raises; the outbox service records the outcome and the
retry schedule on the row. Nothing here retries by itself, so a message is attempted once per claim.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from uuid import UUID

import httpx

from delegation.outbox.model import Channel, DeliveryError, Message, canonical_json, idempotency_key, sign
from jiaodong.settings import Settings


@dataclass(frozen=True)
class SmtpConfig:
    host: str | None
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    use_ssl: bool = False
    sender: str = "jiaodong-noreply@localhost"
    timeout: float = 15.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            use_ssl=settings.smtp_ssl,
            sender=settings.smtp_from,
            timeout=settings.smtp_timeout_seconds,
        )


def email_of(message: Message, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = sender
    mail["To"] = message.target
    mail["Date"] = format_datetime(datetime.now().astimezone())
    # A stable id per outbox row: a receiving system can drop a copy it has already seen.
    mail["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain="jiaodong.invalid")
    mail.set_content(str(message.payload.get("body", "")))
    return mail


def _smtp_send(config: SmtpConfig, mail: EmailMessage) -> None:
    assert config.host is not None
    client: smtplib.SMTP
    if config.use_ssl:
        client = smtplib.SMTP_SSL(
            config.host, config.port, timeout=config.timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    with client:
        if config.starttls and not config.use_ssl:
            client.starttls(context=ssl.create_default_context())
        if config.username:
            client.login(config.username, config.password or "")
        refused = client.send_message(mail)
        if refused:
            raise DeliveryError(f"SMTP server refused recipients: {sorted(refused)}")


async def send_email(message: Message, config: SmtpConfig) -> None:
    if not config.host:
        raise DeliveryError("SMTP is not configured (set JIAODONG_SMTP_HOST)")
    try:
        await asyncio.to_thread(_smtp_send, config, email_of(message, config.sender))
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP: {type(exc).__name__}: {exc}") from exc


def webhook_request(message: Message, now: int | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a webhook call: canonical JSON, HMAC-SHA256 signature over "<t>." + body."""
    body = canonical_json(message.payload)
    timestamp = int(time.time()) if now is None else now
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "jiaodong-delegation/1",
        "X-Jiaodong-Delivery": str(message.id),
        # The same on every try of this row: a receiver that saw it drops the repeat.
        "Idempotency-Key": idempotency_key(message.id),
        "X-Jiaodong-Topic": message.topic,
        "X-Jiaodong-Event": str(message.payload.get("event", "")),
    }
    if message.payload.get("request_id"):
        headers["X-Request-ID"] = str(message.payload["request_id"])
    if message.secret:
        headers["X-Jiaodong-Signature"] = sign(message.secret, timestamp, body)
    return body, headers


async def send_webhook(message: Message, client: httpx.AsyncClient) -> None:
    body, headers = webhook_request(message)
    try:
        response = await client.post(message.target, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook: {type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"webhook answered HTTP {response.status_code}: {response.text[:300]}")


async def send_apprise(message: Message) -> None:
    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(message.target):
        raise DeliveryError("Apprise does not understand this URL")
    ok = await notifier.async_notify(body=str(message.payload.get("body", "")), title=message.subject)
    if not ok:
        raise DeliveryError("Apprise could not deliver (see the worker log for the service's answer)")


def emit_prefect_event(message: Message) -> None:
    """Hand the event to Prefect's events client; the outbox row's stable event id makes a resend harmless."""
    from prefect.events import emit_event

    p: dict[str, Any] = message.payload
    emitted = emit_event(
        event=p["event"],
        resource=p["resource"],
        related=p.get("related") or None,
        payload=p.get("payload") or {},
        occurred=datetime.fromisoformat(p["occurred"]),
        id=UUID(p["id"]),
    )
    if emitted is None:
        raise DeliveryError("Prefect events are not available in this process (no API configured)")


class Senders:
    """Dispatch by channel; one HTTP client shared by the webhook calls of one delivery run."""

    def __init__(self, smtp: SmtpConfig, webhook_timeout: float = 10.0) -> None:
        self.smtp = smtp
        self.client = httpx.AsyncClient(timeout=webhook_timeout, follow_redirects=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Senders:
        return cls(SmtpConfig.from_settings(settings), settings.webhook_timeout_seconds)

    async def __call__(self, message: Message) -> None:
        if message.channel is Channel.EMAIL:
            await send_email(message, self.smtp)
        elif message.channel is Channel.WEBHOOK:
            await send_webhook(message, self.client)
        elif message.channel is Channel.APPRISE:
            await send_apprise(message)
        elif message.channel is Channel.PREFECT_EVENT:
            emit_prefect_event(message)
        else:
            raise DeliveryError(f"no sender for channel {message.channel}")

    async def close(self) -> None:
        await self.client.aclose()
