"""Administrators change reference data without losing history: court overrides, schedules, policies."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from courts.registry import CourtOverride, CourtOverrideError
from courts.schedules import parse_schedule
from delegation.catalogue.policy import load_shipped_policies
from delegation.core.errors import ValidationFailed
from delegation.refdata.service import load_reference, store_court_override, store_policy, store_schedule

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)

SCHEDULE_2027 = """{"year": 2027, "source": "test notice", "published": "2026-11-20",
 "holidays": ["2027-01-01", "2027-01-02", "2027-01-03"], "workdays": []}"""


async def test_a_corrected_court_code_keeps_the_old_code_resolvable(session: AsyncSession) -> None:
    await store_court_override(
        session, CourtOverride(code="鲁0699", renamed_from="鲁0602", effective_from=date(2026, 1, 1)), "admin", NOW
    )
    ref = await load_reference(session)
    court = ref.registry.find("鲁0699")
    assert court is not None and court.name == "烟台市芝罘区人民法院"
    assert ref.registry.find("鲁0602") == court


async def test_a_retired_court_is_still_known_but_not_active(session: AsyncSession) -> None:
    await store_court_override(
        session, CourtOverride(code="鲁1103", effective_from=date(2026, 6, 1), active=False), "admin", NOW
    )
    ref = await load_reference(session, as_of=date(2026, 11, 30))
    court = ref.registry.find("鲁1103")
    assert court is not None and not court.is_active_on(date(2026, 11, 30))
    assert court.is_active_on(date(2026, 5, 31))


async def test_an_invalid_court_change_is_refused_and_not_stored(session: AsyncSession) -> None:
    with pytest.raises(CourtOverrideError):
        await store_court_override(session, CourtOverride(code="鲁9999", effective_from=date(2026, 1, 1)), "admin", NOW)
    ref = await load_reference(session)
    assert ref.registry.find("鲁9999") is None


async def test_a_loaded_schedule_confirms_its_year(session: AsyncSession) -> None:
    before = (await load_reference(session)).calendar
    assert before.year_status(2027) == "provisional"
    await store_schedule(session, parse_schedule(SCHEDULE_2027), "admin", NOW)
    after = (await load_reference(session)).calendar
    assert after.year_status(2027) == "confirmed"
    assert not after.add_working_days(date(2026, 12, 30), 2).provisional


async def test_a_policy_version_applies_from_its_effective_date(session: AsyncSession) -> None:
    shipped = load_shipped_policies()[0]
    document = shipped.model_dump_json(by_alias=True).replace('"version":"2025-01-01"', '"version":"2027-01-01"')
    document = document.replace('"effective_from":"2025-01-01"', '"effective_from":"2027-01-01"')
    await store_policy(session, document, "admin", NOW)
    ref = await load_reference(session)
    assert ref.policies.in_force(NOW).version == "2025-01-01"
    assert ref.policies.in_force(datetime(2027, 1, 1, tzinfo=UTC)).version == "2027-01-01"


async def test_an_invalid_policy_is_refused_whole(session: AsyncSession) -> None:
    with pytest.raises(ValidationFailed):
        await store_policy(session, '{"version": "x"}', "admin", NOW)
    assert len((await load_reference(session)).policies.versions) == len(load_shipped_policies())
