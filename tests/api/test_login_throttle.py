"""The login throttle: counted atomically under parallel requests, a progressive per-account delay that
never refuses the owner's known device, per-address limits only for made-up names, and the same argon2
work for unknown, inactive and wrong-password logins. (The test app: 3 failures per account, 6 made-up
names per address, delays from 30 s.)"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from delegation.accounts import auth as auth_service
from delegation.accounts.auth import LoginThrottle
from delegation.store.tables import UserRow
from tests.api.actors import PASSWORD, Api

LOGIN = "/api/v1/auth/login"


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every argon2 verification the login makes (the real check, or the one against a dummy hash)."""
    checks: list[str] = []
    real: Callable[[str, str], bool] = auth_service.verify_password

    def counting(password_hash: str, password: str) -> bool:
        checks.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(auth_service, "verify_password", counting)
    return checks


def test_the_account_delay_doubles_after_the_allowed_failures_up_to_the_maximum() -> None:
    throttle = LoginThrottle(per_account=5, delay_base=timedelta(seconds=30), max_delay=timedelta(minutes=15))
    assert [throttle.account_delay(n).total_seconds() for n in (0, 4, 5, 6, 7, 9, 40)] == [
        0,
        0,
        30,
        60,
        120,
        480,
        900,
    ]


async def test_forty_parallel_wrong_passwords_get_only_the_allowed_password_checks(
    api: Api, password_checks: list[str]
) -> None:
    async with api.client() as client:
        answers = await asyncio.gather(
            *(client.post(LOGIN, json={"username": "zhifu-clerk", "password": f"wrong-{i}"}) for i in range(40))
        )
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(401) == 3 and statuses.count(429) == 37
    assert len(password_checks) == 3
    assert all(int(a.headers["Retry-After"]) > 0 for a in answers if a.status_code == 429)


async def test_failures_delay_a_new_device_progressively_and_never_refuse_the_owners_known_device(api: Api) -> None:
    async with api.client() as owner:
        assert (await owner.post(LOGIN, json={"username": "zhifu-clerk", "password": PASSWORD})).status_code == 200
        async with api.client() as attacker:
            for _ in range(3):
                wrong = await attacker.post(LOGIN, json={"username": "zhifu-clerk", "password": "guess"})
                assert wrong.status_code == 401
            delayed = await attacker.post(LOGIN, json={"username": "zhifu-clerk", "password": PASSWORD})
            assert delayed.status_code == 429 and 0 < int(delayed.headers["Retry-After"]) <= 30
            # The owner's browser logged in before: not delayed by the attacker's failures.
            assert (await owner.post(LOGIN, json={"username": "zhifu-clerk", "password": PASSWORD})).status_code == 200
            for _ in range(3):
                await attacker.post(LOGIN, json={"username": "zhifu-clerk", "password": "guess"})
            api.clock.now += timedelta(seconds=31)  # the first delay is over: one more guess
            assert (await attacker.post(LOGIN, json={"username": "zhifu-clerk", "password": "g"})).status_code == 401
            longer = await attacker.post(LOGIN, json={"username": "zhifu-clerk", "password": PASSWORD})
            assert longer.status_code == 429 and 30 < int(longer.headers["Retry-After"]) <= 60
            api.clock.now += timedelta(seconds=61)  # a delay, never a lock: the right password works after it
            assert (
                await attacker.post(LOGIN, json={"username": "zhifu-clerk", "password": PASSWORD})
            ).status_code == 200


async def test_only_made_up_names_count_per_address_so_one_proxys_users_are_not_locked_out(api: Api) -> None:
    async with api.client() as proxy:
        for _ in range(4):  # wrong passwords on real accounts do not count against the address
            await proxy.post(LOGIN, json={"username": "fushan-clerk", "password": "typo"})
        for i in range(6):
            made_up = await proxy.post(LOGIN, json={"username": f"nobody-{i}", "password": "x"})
            assert made_up.status_code == 401  # the same answer as a wrong password
        limited = await proxy.post(LOGIN, json={"username": "nobody-7", "password": "x"})
        assert limited.status_code == 429
        colleague = await proxy.post(LOGIN, json={"username": "yantai-center", "password": PASSWORD})
        assert colleague.status_code == 200  # a real user behind the same address logs in


@pytest.mark.parametrize("case", ["unknown", "inactive", "wrong"])
async def test_unknown_inactive_and_wrong_password_cost_the_same_single_argon2_check_and_answer_alike(
    api: Api, password_checks: list[str], case: str
) -> None:
    if case == "inactive":
        async with api.sessions() as session:
            await session.exec(update(UserRow).where(UserRow.username == "fushan-clerk").values(active=False))  # type: ignore[call-overload]
            await session.commit()
    username = {"unknown": "no-such-user", "inactive": "fushan-clerk", "wrong": "zhifu-officer"}[case]
    password = PASSWORD if case != "wrong" else "not-it"
    async with api.client() as client:
        answer = await client.post(LOGIN, json={"username": username, "password": password})
    assert answer.status_code == 401
    body: dict[str, Any] = answer.json()
    assert body["code"] == "not_authenticated" and body["detail"] == "Wrong username or password."
    assert password_checks == [password]
