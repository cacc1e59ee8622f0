"""One adapter per registry kind behind one interface. The flow never knows which registry it talks to: it
hands an adapter a request and gets an AssetAnswer back, or one of the errors below.

Our protocol (docs/network.md) over HTTP with httpx: POST {endpoint}/requests answers 200 with the final
answer or 202 "pending" (the registry calls back, or is asked again with GET {endpoint}/requests/{id}).
Every body both ways is signed with HMAC-SHA256 (X-Jiaodong-Signature: t=<unix>,v1=<hex>), the connector's
shared secret; an answer with a bad signature is refused like a forged one.

A real registry that speaks another protocol gets its own module: a subclass of RegistryAdapter that
overrides `send` and `fetch`, registered with `register(kind, adapter)`. The flow does not change.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
from pydantic import ValidationError

from delegation.network.model import (
    SIGNATURE_HEADER,
    SIGNATURE_TOLERANCE_SECONDS,
    AnswerCode,
    Asset,
    AssetAnswer,
    AssetRequest,
    RegistryKind,
    request_body,
    sign,
    verify,
)


class RegistryProblem(Exception):
    """A request that got no usable answer; `code` is what the access log and the hand-back record."""

    code = "error"
    retryable = True


class RegistryTimeout(RegistryProblem):
    code = "timeout"


class RegistryError(RegistryProblem):
    code = "error"


class RegistryClosed(RegistryProblem):
    code = "closed"


class RegistryRefused(RegistryProblem):
    """4xx: our request is wrong for this registry (or our signature): sending it again will not help."""

    code = "refused"
    retryable = False


class BadSignature(RegistryProblem):
    code = "bad_signature"
    retryable = False


@dataclass(frozen=True)
class Link:
    """Where and how to reach one registry: from the connector, with its secret resolved."""

    endpoint: str
    secret: str
    timeout_seconds: float


def signed_headers(secret: str, body: bytes, now: int | None = None) -> dict[str, str]:
    stamp = int(time.time()) if now is None else now
    return {SIGNATURE_HEADER: sign(secret, stamp, body), "content-type": "application/json"}


def check_signature(secret: str, header: str | None, body: bytes, now: int | None = None) -> bool:
    stamp = int(time.time()) if now is None else now
    return header is not None and verify(secret, header, body, stamp, SIGNATURE_TOLERANCE_SECONDS)


class RegistryAdapter:
    """Our protocol; subclasses say how one kind of registry names an asset."""

    kind: ClassVar[RegistryKind]
    asset_fields: ClassVar[tuple[str, ...]] = ()

    def describe(self, asset: Asset) -> dict[str, Any]:
        """The asset in the registry's vocabulary: only the fields that registry needs leave the court."""
        return {k: asset.item[k] for k in self.asset_fields if asset.item.get(k) not in (None, "")}

    def subject(self, asset: Asset) -> dict[str, Any]:
        return dict(asset.subject)

    async def send(self, client: httpx.AsyncClient, link: Link, request: AssetRequest) -> AssetAnswer:
        body = request_body(request)
        response = await self._call(
            client, link, "POST", f"{link.endpoint}/requests", body, signed_headers(link.secret, body)
        )
        return self._answer(link, response, request.request_id)

    async def fetch(self, client: httpx.AsyncClient, link: Link, request_id: str) -> AssetAnswer:
        body = request_id.encode("utf-8")  # a GET signs the id it asks about
        headers = signed_headers(link.secret, body)
        response = await self._call(client, link, "GET", f"{link.endpoint}/requests/{request_id}", None, headers)
        return self._answer(link, response, request_id)

    async def _call(
        self,
        client: httpx.AsyncClient,
        link: Link,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
    ) -> httpx.Response:
        try:
            response = await client.request(
                method, url, content=body, headers=dict(headers), timeout=link.timeout_seconds
            )
        except httpx.TimeoutException as exc:
            raise RegistryTimeout(f"no answer within {link.timeout_seconds:g} s") from exc
        except httpx.HTTPError as exc:
            raise RegistryError(f"registry unreachable: {type(exc).__name__}") from exc
        if response.status_code == 503 and response.headers.get("x-registry-closed"):
            raise RegistryClosed("outside the registry's business hours")
        if response.status_code >= 500:
            raise RegistryError(f"registry error HTTP {response.status_code}")
        if response.status_code >= 400:
            raise RegistryRefused(f"registry refused HTTP {response.status_code}: {response.text[:200]}")
        return response

    def _answer(self, link: Link, response: httpx.Response, request_id: str) -> AssetAnswer:
        if not check_signature(link.secret, response.headers.get(SIGNATURE_HEADER), response.content):
            raise BadSignature("the registry's answer is not signed with the connector's secret")
        try:
            answer = AssetAnswer.model_validate_json(response.content)
        except ValidationError as exc:
            raise RegistryError(f"unreadable answer: {exc.error_count()} error(s)") from exc
        if answer.request_id != request_id:
            raise RegistryError("the answer is for another request")
        if answer.status == "answered" and answer.code in (AnswerCode.ERROR, AnswerCode.CLOSED):
            raise RegistryError(answer.message or "the registry reported an error")
        return answer


class RealEstateAdapter(RegistryAdapter):
    kind = RegistryKind.REAL_ESTATE
    asset_fields = ("cert_no", "address", "owner_name", "expires_on")


class VehicleAdapter(RegistryAdapter):
    kind = RegistryKind.VEHICLE
    asset_fields = ("plate", "vin", "brand_model")


class EquityAdapter(RegistryAdapter):
    kind = RegistryKind.EQUITY
    asset_fields = ("company_name", "company_uscc", "amount", "share_ratio", "expires_on")


class BankAdapter(RegistryAdapter):
    kind = RegistryKind.BANK
    asset_fields = ("bank_name", "account_no", "amount", "expires_on")


class HousingFundAdapter(RegistryAdapter):
    """公积金: the subject is the asset (the debtor's fund account is found by the ID number)."""

    kind = RegistryKind.HOUSING_FUND


class SocialSecurityAdapter(RegistryAdapter):
    kind = RegistryKind.SOCIAL_SECURITY


_ADAPTERS: dict[RegistryKind, RegistryAdapter] = {
    a.kind: a
    for a in (
        RealEstateAdapter(),
        VehicleAdapter(),
        EquityAdapter(),
        BankAdapter(),
        HousingFundAdapter(),
        SocialSecurityAdapter(),
    )
}


def register(kind: RegistryKind, adapter: RegistryAdapter) -> None:
    """A new registry's adapter (its own module) replaces the default one of its kind."""
    _ADAPTERS[kind] = adapter


def adapter_for(kind: RegistryKind | str) -> RegistryAdapter:
    return _ADAPTERS[RegistryKind(kind)]
