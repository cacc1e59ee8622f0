"""Demo data for a first run: users for every city and role, and about thirty delegations between the five
cities in every kind of state: drafts, fresh and overdue submissions, returned and resubmitted matters,
a decline and a redirect, work in progress on time and late, extensions, on-site dates (one in a year whose
holiday schedule is not confirmed, so its deadline is provisional), results waiting for confirmation,
confirmed, withdrawn and reworked matters.

The scenarios are data (`scenarios.yaml` beside this module); this module runs them. Everything goes through
the service layer with explicit `now` values in the past, so clocks, events and
documents are exactly what real use would have produced. Idempotent: each demo delegation is created with
an Idempotency-Key and skipped when it exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from delegation.accounts.users import upsert_user
from delegation.catalogue.identifiers import id_check_char
from delegation.core.access import Actor, UserRole
from delegation.core.clocks import SHANGHAI, local_day
from delegation.core.reference import Reference
from delegation.core.states import Action
from delegation.filing import documents as document_service
from delegation.filing.documents import Upload
from delegation.filing.messages import post_message
from delegation.handling.commands import decode
from delegation.handling.service import DraftInput, create_draft, perform
from delegation.refdata.service import load_reference
from delegation.statistics import service as statistics_service
from delegation.store import repository
from delegation.store.blobs import BlobStore, LocalBlobStore
from delegation.store.context import Context
from delegation.store.db import make_engine, make_sessionmaker

DEMO_PASSWORD = "jiaodong-demo-2026"  # noqa: S105  (printed for a first run; demo only)

# (username prefix, basic court, city intermediate court, city label)
DEMO_COURTS = [
    ("shinan", "鲁0202", "鲁02", "qingdao"),
    ("zhifu", "鲁0602", "鲁06", "yantai"),
    ("kuiwen", "鲁0705", "鲁07", "weifang"),
    ("huancui", "鲁1002", "鲁10", "weihai"),
    ("donggang", "鲁1102", "鲁11", "rizhao"),
]
_BY_COURT = {basic: (prefix, center, city) for prefix, basic, center, city in DEMO_COURTS}

# A tiny but well-formed PDF: what a scanned letter would be, as far as the type check is concerned.
DEMO_PDF = b"%PDF-1.4\n% Jiaodong demo scan\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

# The debtor's address in each demo court's city.
ADDRESSES = {
    "鲁0202": "山东省青岛市市南区香港中路100号",
    "鲁0602": "山东省烟台市芝罘区南大街88号",
    "鲁0705": "山东省潍坊市奎文区东风东街66号",
    "鲁1002": "山东省威海市环翠区新威路18号",
    "鲁1102": "山东省日照市东港区海曲中路9号",
}
DEBTORS = ["张伟", "王芳", "李强", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴霞"]


def demo_users() -> list[tuple[str, str, str, list[str]]]:
    """(username, display name, court, roles) for every city and role."""
    users: list[tuple[str, str, str, list[str]]] = []
    for prefix, basic, intermediate, city in DEMO_COURTS:
        users.append((f"{prefix}-officer", f"{prefix} 承办人", basic, [UserRole.REQUESTING_OFFICER.value]))
        users.append((f"{prefix}-clerk", f"{prefix} 受托书记员", basic, [UserRole.ASSISTING_CLERK.value]))
        # Two handlers (承办人) per court, whom its clerk assigns matters to (they act as clerks too).
        handler = [UserRole.ASSISTING_CLERK.value, UserRole.HANDLER.value]
        users.append((f"{prefix}-wang", "王法官", basic, handler))
        users.append((f"{prefix}-li", "李法官", basic, handler))
        users.append((f"{city}-center", f"{city} 执行指挥中心", intermediate, [UserRole.COMMAND_CENTER.value]))
    users.append(("regional", "五市协调员", "鲁02", [UserRole.REGIONAL_COORDINATOR.value]))
    users.append(("admin", "系统管理员", "鲁02", [UserRole.ADMIN.value]))
    return users


# ---------------------------------------------------------------- scenarios (data: scenarios.yaml)

ACTORS = ("officer", "clerk", "center")


@dataclass(frozen=True)
class Step:
    """One thing done on a demo delegation, `day` working days after it was filed, by `by`:
    officer (requesting court), clerk (assisting court) or center (assisting court's city)."""

    day: int
    by: str
    action: Action | None = None  # None with `message` or `upload`
    values: dict[str, Any] = field(default_factory=dict)  # the action's command, for commands.decode
    message: str | None = None
    upload: str | None = None  # a document kind


@dataclass(frozen=True)
class Scenario:
    key: str
    requester: str
    assisting: str
    matter: str
    filed_ago: int  # working days before today
    steps: tuple[Step, ...] = ()
    submit: bool = True
    fields: dict[str, Any] = field(default_factory=dict)
    summary: str = ""


def _dated(value: Any, dates: dict[str, date], as_text: bool) -> Any:
    """Replace the placeholders ({one_week_ahead}, …; {step_day}: the day the step is taken) anywhere in a
    scenario's values: by ISO text in a draft's fields (as a form sends them), by dates in an action's values
    (commands.decode takes parsed values)."""
    if isinstance(value, str) and value in dates:
        return dates[value].isoformat() if as_text else dates[value]
    if isinstance(value, dict):
        return {key: _dated(item, dates, as_text) for key, item in value.items()}
    if isinstance(value, list):
        return [_dated(item, dates, as_text) for item in value]
    return value


def _step(data: dict[str, Any], dates: dict[str, date]) -> Step:
    if data["by"] not in ACTORS:
        raise ValueError(f"demo step by {data['by']!r}: expected one of {ACTORS}")
    action = Action(data["action"]) if "action" in data else None
    values = _dated(data.get("values", {}), dates, as_text=False)
    return Step(data["day"], data["by"], action, values, data.get("message"), data.get("upload"))


def scenarios(today: date, first_unconfirmed: date) -> list[Scenario]:
    """The scenarios of scenarios.yaml, with their relative dates resolved against `today`."""
    dates = {
        "{one_week_ahead}": today + timedelta(days=7),
        "{unconfirmed_year_day}": max(first_unconfirmed + timedelta(days=5), today + timedelta(days=14)),
    }
    text = resources.files(__package__).joinpath("scenarios.yaml").read_text(encoding="utf-8")
    return [
        Scenario(
            key=item["key"],
            requester=item["requester"],
            assisting=item["assisting"],
            matter=item["matter"],
            filed_ago=item["filed_ago"],
            steps=tuple(_step(step, dates) for step in item.get("steps", ())),
            submit=item.get("submit", True),
            fields=_dated(item.get("fields", {}), dates, as_text=True),
            summary=item.get("summary", ""),
        )
        for item in yaml.safe_load(text)
    ]


# ---------------------------------------------------------------- running them


def _party(index: int, requester: str) -> list[dict[str, Any]]:
    first17 = f"3702021980{(index % 12) + 1:02d}{(index % 27) + 1:02d}{index % 1000:03d}"
    return [
        {
            "role": "applicant",
            "party_type": "legal_person",
            "name": "青岛海联贸易有限公司",
            "uscc": "91350100M000100Y43",
        },
        {
            "role": "debtor",
            "party_type": "natural_person",
            "name": DEBTORS[index % len(DEBTORS)],
            "id_number": first17 + id_check_char(first17),
            "address": ADDRESSES[requester],
            "phone": f"139{index:08d}",
        },
    ]


def _at(ref: Reference, filed: date, day: int, order: int, now: datetime) -> datetime:
    when = ref.calendar.add_working_days(filed, day).date if day else filed
    moment = datetime.combine(when, time(9, 30), tzinfo=SHANGHAI) + timedelta(minutes=10 * order)
    return min(moment, now - timedelta(minutes=1))


async def _run_scenario(session: Any, ref: Reference, store: BlobStore, now: datetime, index: int, s: Scenario) -> bool:
    prefix, _center, _city = _BY_COURT[s.requester]
    officer = Actor(f"{prefix}-officer", s.requester, frozenset({UserRole.REQUESTING_OFFICER}))
    a_prefix, a_center, a_city = _BY_COURT[s.assisting]
    actors = {
        "officer": officer,
        "clerk": Actor(f"{a_prefix}-clerk", s.assisting, frozenset({UserRole.ASSISTING_CLERK})),
        "center": Actor(f"{a_city}-center", a_center, frozenset({UserRole.COMMAND_CENTER})),
    }
    key = f"demo-{s.key}"
    if await repository.find_by_idempotency_key(session, officer.username, key) is not None:
        return False
    today = local_day(now)
    filed = ref.calendar.add_working_days(today, -s.filed_ago).date if s.filed_ago else today
    order = 0
    filed_at = _at(ref, filed, 0, order, now)
    draft = DraftInput(
        case_number=f"（{filed.year}）{s.requester}执{1000 + index}号",
        assisting_court=s.assisting,
        matter_type=s.matter,
        summary=s.summary or f"演示委托：{s.key}",
        fields=s.fields,
        parties=_party(index, s.assisting),
    )
    ctx = Context(session, ref, officer, filed_at)
    row, _replayed = await create_draft(ctx, draft, key)
    ident = row.id or 0
    matter = ref.policies.get(row.policy_version).matter(row.matter_type)
    for kind in matter.required_documents:
        item = Upload(kind, f"{kind}.pdf", DEMO_PDF)
        await document_service.upload(session, ref, officer, filed_at, ident, item, store, len(DEMO_PDF))
    if not s.submit:
        return True
    version = (await perform(ctx, ident, Action.SUBMIT, row.version)).version
    for step in s.steps:
        order += 1
        at = _at(ref, filed, step.day, order, now)
        actor = actors[step.by]
        if step.upload is not None:
            item = Upload(step.upload, f"{step.upload}.pdf", DEMO_PDF)
            await document_service.upload(session, ref, actor, at, ident, item, store, len(DEMO_PDF))
        elif step.message is not None:
            await post_message(session, ref, actor, at, ident, step.message)
        elif step.action is not None:
            command = decode(step.action, _dated(step.values, {"{step_day}": local_day(at)}, as_text=False))
            version = (await perform(ctx.acting(actor, at), ident, step.action, version, command)).version
    return True


DEFAULT_URL = "http://127.0.0.1:8000"


async def seed(
    database_url: str, now: datetime | None = None, data_dir: Path | None = None, base_url: str = DEFAULT_URL
) -> list[str]:
    """Demo users and demo delegations (both idempotent); returns the lines to print, whose examples use
    `base_url`, the address the service is (about to be) served at."""
    from jiaodong.settings import get_settings

    now = now or datetime.now(UTC)
    from api.state import store_of

    store: BlobStore = LocalBlobStore(data_dir) if data_dir is not None else store_of(get_settings())
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    created = filed = 0
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
            today = local_day(now)
            unconfirmed = next(y for y in range(today.year, today.year + 30) if y not in ref.calendar.confirmed_years())
            first_unconfirmed = date(unconfirmed, 1, 6)
            for index, scenario in enumerate(scenarios(today, first_unconfirmed), start=1):
                filed += await _run_scenario(session, ref, store, now, index, scenario)
            total = len(scenarios(today, first_unconfirmed))
            await statistics_service.reconcile(session, ref, now)  # open breaches up to now, as the nightly flow
    finally:
        await engine.dispose()
    names = ", ".join(u[0] for u in demo_users())
    base = base_url.rstrip("/")
    return [
        f"demo users: {created} created, {len(demo_users()) - created} already present",
        f"demo delegations: {filed} filed, {total - filed} already present",
        f"log in as any of: {names}",
        f"password for every demo user: {DEMO_PASSWORD}",
        f"open {base}/ in a browser, or",
        "e.g. curl -c jar -H 'content-type: application/json' "
        f'-d \'{{"username":"zhifu-clerk","password":"{DEMO_PASSWORD}"}}\' {base}/api/v1/auth/login',
        f"     curl -b jar '{base}/api/v1/delegations?box=inbox'",
    ]
