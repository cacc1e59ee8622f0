"""The outbox as pure data: what a change notifies (an Intent), who receives it in-app, which subscriptions
get a delivery, the retry schedule, the Prefect event shape and the webhook signature.

The service writes an Intent in the transaction of the change; expanding it into inbox rows and deliveries,
and sending those, happens later (deliver-notifications), so a slow or broken channel never holds a user.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any


class Channel(StrEnum):
    FANOUT = "fanout"  # an intent to expand (not sent anywhere itself)
    PREFECT_EVENT = "prefect_event"
    EMAIL = "email"
    WEBHOOK = "webhook"
    APPRISE = "apprise"  # chat tools (DingTalk, WeCom, ...) through Apprise URLs


SUBSCRIPTION_CHANNELS: tuple[Channel, ...] = (Channel.EMAIL, Channel.WEBHOOK, Channel.APPRISE)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by one deliverer
    SENT = "sent"
    FAILED = "failed"  # after the last try; stays visible
    SKIPPED = "skipped"  # nothing to send it to (a Prefect event where no Prefect server is configured)


class Topic(StrEnum):
    TRANSITION = "transition"
    NOTICE = "notice"
    ACKNOWLEDGEMENT = "acknowledgement"
    DIGEST = "digest"
    MESSAGE = "message"  # one court wrote to the other in a matter
    ASSIGNMENT = "assignment"  # a matter assigned to (or taken from) one handler


EVENT_NAMESPACE = uuid.UUID("6f1c2d4e-8a53-4c1b-9f0e-3d2b7a9c5e11")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: base, 2*base, 4*base ... capped; `max_attempts` tries in all."""

    max_attempts: int = 8
    base_seconds: float = 30.0
    max_seconds: float = 3600.0
    # A claim not renewed for this long belongs to a deliverer that died; a live deliverer renews its claim
    # every third of it while it sends. Claims are small (one concurrent round of sends), so only rows
    # whose send was in flight are ever uncertain; they are retried with the same idempotency key.
    lease_seconds: float = 60.0

    def delay(self, attempts: int) -> timedelta:
        """Wait after the `attempts`-th failed try (1-based)."""
        seconds = self.base_seconds * (2 ** max(0, attempts - 1))
        return timedelta(seconds=min(self.max_seconds, seconds))

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts


@dataclass(frozen=True)
class Audience:
    """Users who get an in-app item: by court and role, by city and role, everybody with a role, or one user
    by name (a handler), if that user is active and still holds the role."""

    role: str
    court: str | None = None
    city: str | None = None
    username: str | None = None


@dataclass(frozen=True)
class Intent:
    """One change to notify: a transition, a notice, an acknowledgement, a digest."""

    topic: str
    event: str  # Prefect event name, e.g. jiaodong.delegation.submit
    subject: str
    body: str
    occurred_at: str  # ISO 8601
    audiences: tuple[Audience, ...] = ()
    courts: tuple[str, ...] = ()  # whose subscriptions receive it
    delegation_id: int | None = None
    delegation_number: str | None = None
    notice_id: int | None = None
    resource: dict[str, str] = field(default_factory=dict)  # extra resource labels for the Prefect event
    related: tuple[dict[str, str], ...] = ()
    data: dict[str, Any] = field(default_factory=dict)  # the JSON document for webhooks and events
    request_id: str | None = None  # the HTTP request that caused it (X-Request-ID), carried to every delivery

    def to_json(self) -> dict[str, Any]:
        # By hand: dataclasses.asdict deep-copies every value, which dominated the sweep's Python time.
        return {
            "topic": self.topic,
            "event": self.event,
            "subject": self.subject,
            "body": self.body,
            "occurred_at": self.occurred_at,
            "audiences": list(_audiences_json(self.audiences)),
            "courts": list(self.courts),
            "delegation_id": self.delegation_id,
            "delegation_number": self.delegation_number,
            "notice_id": self.notice_id,
            "resource": dict(self.resource),
            "related": [dict(r) for r in self.related],
            "request_id": self.request_id,
            "data": self.data,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Intent:
        values = dict(raw)
        values["audiences"] = tuple(Audience(**a) for a in values.get("audiences", ()))
        values["courts"] = tuple(values.get("courts", ()))
        values["related"] = tuple(values.get("related", ()))
        return cls(**values)


@dataclass(frozen=True)
class Person:
    username: str
    court_code: str
    roles: frozenset[str]


@dataclass(frozen=True)
class Subscription:
    id: int
    court_code: str
    channel: str
    target: str
    topics: tuple[str, ...]

    def wants(self, topic: str) -> bool:
        return not self.topics or topic in self.topics


class Directory:
    """Users and subscriptions, indexed once per sweep or delivery batch."""

    def __init__(
        self, people: Iterable[Person], subscriptions: Iterable[Subscription], city_of: Callable[[str], str | None]
    ) -> None:
        self._by_court: dict[str, list[Person]] = defaultdict(list)
        self._by_city: dict[str, list[Person]] = defaultdict(list)
        self._by_name: dict[str, Person] = {}
        self._all: list[Person] = []
        for person in people:
            self._all.append(person)
            self._by_name[person.username] = person
            self._by_court[person.court_code].append(person)
            city = city_of(person.court_code)
            if city is not None:
                self._by_city[city].append(person)
        self._subscriptions: dict[str, list[Subscription]] = defaultdict(list)
        for sub in subscriptions:
            self._subscriptions[sub.court_code].append(sub)

    def users(self, audience: Audience) -> list[str]:
        pool: Iterable[Person]
        if audience.username is not None:
            named = self._by_name.get(audience.username)
            here = named is not None and audience.court in (None, named.court_code)
            pool = [named] if named is not None and here else []
        elif audience.court is not None:
            pool = self._by_court.get(audience.court, [])
        elif audience.city is not None:
            pool = self._by_city.get(audience.city, [])
        else:
            pool = self._all
        return [p.username for p in pool if audience.role in p.roles]

    def subscriptions(self, courts: Iterable[str], topic: str) -> list[Subscription]:
        seen: set[int] = set()
        found: list[Subscription] = []
        for court in courts:
            for sub in self._subscriptions.get(court, []):
                if sub.id not in seen and sub.wants(topic):
                    seen.add(sub.id)
                    found.append(sub)
        return found


@dataclass(frozen=True)
class Delivery:
    channel: Channel
    target: str
    subject: str
    payload: dict[str, Any]
    subscription_id: int | None = None


def recipients(intent: Intent, directory: Directory) -> list[str]:
    """Usernames for in-app items, each once, in audience order."""
    seen: dict[str, None] = {}
    for audience in intent.audiences:
        for username in directory.users(audience):
            seen.setdefault(username, None)
    return list(seen)


def deliveries(intent: Intent, directory: Directory, event_id: uuid.UUID) -> list[Delivery]:
    """The Prefect event (when the intent concerns a delegation) plus one delivery per matching subscription."""
    found: list[Delivery] = []
    if intent.delegation_number:
        found.append(
            Delivery(
                Channel.PREFECT_EVENT,
                resource_id(intent.delegation_number),
                intent.subject,
                prefect_event(intent, event_id),
            )
        )
    document: dict[str, Any] | None = None
    for sub in directory.subscriptions(intent.courts, intent.topic):
        channel = Channel(sub.channel)
        if channel is Channel.WEBHOOK:
            document = document or webhook_document(intent, event_id)
            payload = document
        else:
            payload = {"body": intent.body}
        found.append(Delivery(channel, sub.target, intent.subject, payload, sub.id))
    return found


def resource_id(number: str) -> str:
    return f"delegation.{number}"


def event_id_for(fanout_id: int) -> uuid.UUID:
    """Stable per outbox row, so a repeated emission is the same Prefect event."""
    return uuid.uuid5(EVENT_NAMESPACE, f"outbox-{fanout_id}")


def event_id_for_key(key: str) -> uuid.UUID:
    return uuid.uuid5(EVENT_NAMESPACE, key)


def prefect_event(intent: Intent, event_id: uuid.UUID) -> dict[str, Any]:
    assert intent.delegation_number is not None
    resource = {
        "prefect.resource.id": resource_id(intent.delegation_number),
        "prefect.resource.name": intent.delegation_number,
        **intent.resource,
    }
    return {
        "id": str(event_id),
        "event": intent.event,
        "occurred": intent.occurred_at,
        "resource": resource,
        "related": [dict(r) for r in intent.related],
        "payload": {**intent.data, "request_id": intent.request_id} if intent.request_id else intent.data,
    }


def webhook_document(intent: Intent, event_id: uuid.UUID) -> dict[str, Any]:
    return {
        "id": str(event_id),
        "topic": intent.topic,
        "event": intent.event,
        "occurred_at": intent.occurred_at,
        "delegation": intent.delegation_number,
        "subject": intent.subject,
        "data": intent.data,
        "request_id": intent.request_id,
    }


def canonical_json(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """X-Jiaodong-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>."""
    digest = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiving court system checks: a valid signature made at most `tolerance` seconds ago."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    expected = sign(secret, timestamp, body)
    return abs(now - timestamp) <= tolerance and hmac.compare_digest(expected, header)


@dataclass(frozen=True)
class Message:
    """A claimed delivery, handed to a sender."""

    id: int
    channel: Channel
    topic: str
    target: str
    subject: str
    payload: dict[str, Any]
    attempts: int
    secret: str | None = None
    claim_token: str | None = None


class DeliveryError(Exception):
    """A sender could not deliver; the message is retried later (or fails after the last try)."""


@lru_cache(maxsize=4096)  # a batch of notices names a handful of moments thousands of times
def iso(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return at.isoformat()


def idempotency_key(outbox_id: int) -> str:
    """The same for every try of one outbox row: a receiver drops a repeat it has seen (after a deliverer
    died mid-send, the row is sent again)."""
    return f"jiaodong-outbox-{outbox_id}"


# ---------------------------------------------------------------- circuit breaker per receiver

BREAKER_CHANNELS: tuple[Channel, ...] = (Channel.WEBHOOK, Channel.APPRISE)  # sends to other systems' hosts


@dataclass(frozen=True)
class CircuitPolicy:
    """When a receiver (a court system's webhook host, a chat service) fails `failures_to_open` sends in a row,
    sends to it pause for `cool_down`; its rows wait, untouched and without using up their retries. After the
    cool-down one send at a time probes it: a success closes the circuit, a failure pauses it again."""

    failures_to_open: int = 5
    cool_down: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Circuit:
    receiver: str
    failures: int = 0  # consecutive failed sends
    open_until: datetime | None = None
    last_error: str | None = None

    def is_open(self, now: datetime) -> bool:
        """Paused: no send goes to this receiver before `open_until`."""
        return self.open_until is not None and now < self.open_until

    def is_probing(self, now: datetime, policy: CircuitPolicy) -> bool:
        """Half-open: the cool-down is over but the failures that opened it are not yet undone by a success."""
        return self.failures >= policy.failures_to_open and not self.is_open(now)


def after_send(circuit: Circuit, error: str | None, now: datetime, policy: CircuitPolicy) -> Circuit:
    """The circuit after one send to its receiver finished (error None: it succeeded)."""
    if error is None:
        return Circuit(circuit.receiver)
    failures = circuit.failures + 1
    open_until = now + policy.cool_down if failures >= policy.failures_to_open else circuit.open_until
    return Circuit(circuit.receiver, failures, open_until, error)


def resumed(circuit: Circuit) -> Circuit:
    """An operator's resume: closed, failures forgotten."""
    return Circuit(circuit.receiver)


@lru_cache(maxsize=1024)
def _audiences_json(audiences: tuple[Audience, ...]) -> tuple[dict[str, Any], ...]:
    """Intents of one batch mostly share their audiences (a sweep's thousands of notices: a handful)."""
    return tuple(
        {"role": a.role, "court": a.court, "city": a.city, **({"username": a.username} if a.username else {})}
        for a in audiences
    )
