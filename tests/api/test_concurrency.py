"""Twenty clerks press "sign for" at once: exactly one wins, the others get 409, one event is written."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from delegation.store.tables import EventRow
from tests.api.actors import Api
from tests.api.support import act, file_matter


async def test_twenty_simultaneous_sign_fors_give_one_200_nineteen_409s_and_one_event(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        filed = await file_matter(officer)
    clients = [api.client("zhifu-clerk") for _ in range(20)]
    try:
        responses = await asyncio.gather(*(act(c, filed["id"], "sign-for", filed["version"]) for c in clients))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 19, statuses
    assert all(r.json()["current"]["status"] == "accepted" for r in responses if r.status_code == 409)
    async with api.sessions() as session:
        signed = list(
            await session.exec(
                select(EventRow).where(EventRow.delegation_id == filed["id"], EventRow.action == "sign_for")
            )
        )
    assert len(signed) == 1
