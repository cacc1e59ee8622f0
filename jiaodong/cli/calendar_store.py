"""Synchronous bridges for the CLI: the calendar as stored in the database, and storing a schedule."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from courts.calendar import WorkingCalendar
from courts.schedules import YearSchedule
from delegation.refdata.service import load_reference, store_schedule
from delegation.store.db import make_engine, make_sessionmaker
from jiaodong.settings import get_settings


async def _calendar() -> WorkingCalendar:
    engine = make_engine(get_settings().resolved_database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return (await load_reference(session)).calendar
    finally:
        await engine.dispose()


def calendar_from_database_or_shipped() -> WorkingCalendar:
    """Schedules loaded into the database count; with no database yet, the shipped ones alone."""
    settings = get_settings()
    if settings.database_url is None and not (settings.data_dir / "jiaodong.sqlite3").exists():
        return WorkingCalendar.shipped()
    try:
        return asyncio.run(_calendar())
    except (OperationalError, ProgrammingError, DBAPIError, OSError):
        return WorkingCalendar.shipped()


def store_schedule_sync(schedule: YearSchedule) -> None:
    async def main() -> None:
        engine = make_engine(get_settings().resolved_database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                await store_schedule(session, schedule, loaded_by="cli", now=datetime.now(UTC))
        finally:
            await engine.dispose()

    asyncio.run(main())
