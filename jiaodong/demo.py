"""Demo data for a first run: users for every city and role (idempotent)."""

from __future__ import annotations

from datetime import UTC, datetime

from delegation.access import UserRole
from delegation.db import make_engine, make_sessionmaker
from delegation.reference_service import load_reference
from delegation.user_service import upsert_user

DEMO_PASSWORD = "jiaodong-demo-2026"  # noqa: S105  (printed for a first run; demo only)

# (username prefix, basic court, city intermediate court, city label)
DEMO_COURTS = [
    ("shinan", "鲁0202", "鲁02", "qingdao"),
    ("zhifu", "鲁0602", "鲁06", "yantai"),
    ("kuiwen", "鲁0705", "鲁07", "weifang"),
    ("huancui", "鲁1002", "鲁10", "weihai"),
    ("donggang", "鲁1102", "鲁11", "rizhao"),
]


def demo_users() -> list[tuple[str, str, str, list[str]]]:
    """(username, display name, court, roles) for every city and role."""
    users: list[tuple[str, str, str, list[str]]] = []
    for prefix, basic, intermediate, city in DEMO_COURTS:
        users.append((f"{prefix}-officer", f"{prefix} 承办人", basic, [UserRole.REQUESTING_OFFICER.value]))
        users.append((f"{prefix}-clerk", f"{prefix} 受托书记员", basic, [UserRole.ASSISTING_CLERK.value]))
        users.append((f"{city}-center", f"{city} 执行指挥中心", intermediate, [UserRole.COMMAND_CENTER.value]))
    users.append(("regional", "五市协调员", "鲁02", [UserRole.REGIONAL_COORDINATOR.value]))
    users.append(("admin", "系统管理员", "鲁02", [UserRole.ADMIN.value]))
    return users


async def seed(database_url: str, now: datetime | None = None) -> list[str]:
    now = now or datetime.now(UTC)
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    created = 0
    try:
        async with sessions() as session:
            ref = await load_reference(session)
            for username, display, court, roles in demo_users():
                _user, was_created = await upsert_user(
                    session,
                    ref,
                    now,
                    username=username,
                    display_name=display,
                    court_code=court,
                    roles=roles,
                    password=DEMO_PASSWORD,
                )
                created += was_created
    finally:
        await engine.dispose()
    names = ", ".join(u[0] for u in demo_users())
    return [
        f"demo users: {created} created, {len(demo_users()) - created} already present",
        f"log in as any of: {names}",
        f"password for every demo user: {DEMO_PASSWORD}",
    ]
