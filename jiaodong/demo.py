"""Demo data for a first run: users for every city and role, and about thirty delegations between the five
cities in every kind of state: drafts, fresh and overdue submissions, returned and resubmitted matters,
a decline and a redirect, work in progress on time and late, extensions, on-site dates (one in a year whose
holiday schedule is not confirmed, so its deadline is provisional), results waiting for confirmation,
confirmed, withdrawn and reworked matters.

Everything goes through the service layer with explicit `now` values in the past, so clocks, events and
documents are exactly what real use would have produced. Idempotent: each demo delegation is created with
an Idempotency-Key and skipped when it exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

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
Q, Y, W, H, R = (basic for _prefix, basic, _center, _city in DEMO_COURTS)

# A tiny but well-formed PDF: what a scanned letter would be, as far as the type check is concerned.
DEMO_PDF = b"%PDF-1.4\n% Jiaodong demo scan\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

ADDRESSES = {
    Q: "山东省青岛市市南区香港中路100号",
    Y: "山东省烟台市芝罘区南大街88号",
    W: "山东省潍坊市奎文区东风东街66号",
    H: "山东省威海市环翠区新威路18号",
    R: "山东省日照市东港区海曲中路9号",
}
DEBTORS = ["张伟", "王芳", "李强", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴霞"]


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


# ---------------------------------------------------------------- scenarios


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


def _sign(day: int = 1) -> Step:
    return Step(day, "clerk", Action.SIGN_FOR)


def _assign(day: int = 1, handler: str = "王法官") -> Step:
    return Step(day, "clerk", Action.ASSIGN_HANDLER, {"handler": handler})


def _results(day: int, *results: tuple[str, str]) -> Step:
    return Step(day, "clerk", Action.RECORD_RESULT, {"results": [{"asset": a, "outcome": o} for a, o in results]})


def _complete(day: int) -> tuple[Step, Step]:
    return Step(day, "clerk", upload="receipt"), Step(day, "clerk", Action.COMPLETE, {"comment": "已办结，回执已上传"})


def _vehicle_note() -> dict[str, Any]:
    return {"note": "请查询被执行人名下登记的机动车并反馈登记信息"}


def scenarios(today: date, first_unconfirmed: date) -> list[Scenario]:
    soon = today + timedelta(days=7)
    provisional_day = max(first_unconfirmed + timedelta(days=5), today + timedelta(days=14))
    onsite = {"officer_count": 6, "contact_name": "赵队长", "contact_phone": "13900139000"}
    return [
        # drafts: seen by their requesting court only
        Scenario("draft-1", Q, Y, "vehicle_inquiry", 0, submit=False, fields=_vehicle_note()),
        Scenario("draft-2", W, R, "real_estate_inquiry", 1, submit=False, fields={"region": "日照市东港区"}),
        # submitted, waiting to be signed for
        Scenario("fresh-1", Y, Q, "vehicle_inquiry", 0, fields=_vehicle_note()),
        Scenario(
            "fresh-2", H, W, "property_investigation", 1, fields={"scope": "被执行人在潍坊的房产、车辆和经营场所"}
        ),
        Scenario(
            "fresh-3",
            R,
            Y,
            "document_service",
            1,
            fields={
                "recipients": [{"name": "刘洋", "address": ADDRESSES[Y], "phone": "13700137000"}],
                "documents": "执行通知书、报告财产令各一份",
            },
        ),
        # sign-for overdue (1, 4 and 7 working days late: overdue, 督办, escalated)
        Scenario("late-sign-1", Q, H, "vehicle_inquiry", 3, fields=_vehicle_note()),
        Scenario(
            "late-sign-2",
            W,
            Q,
            "deposit_freeze",
            6,
            fields={
                "accounts": [
                    {"bank_name": "中国工商银行青岛市南支行", "account_no": "6222021234567890123", "amount": "150000"}
                ],
                "period_months": 12,
            },
        ),
        Scenario("late-sign-3", Y, R, "real_estate_inquiry", 9, fields={"region": "日照市东港区"}),
        # returned for correction (one of them long ago: the correction period has run out)
        Scenario(
            "returned-1",
            Q,
            Y,
            "vehicle_seal",
            3,
            (
                Step(
                    1,
                    "clerk",
                    Action.RETURN_FOR_CORRECTION,
                    {"comment": "缺少执行裁定书正本", "reason_code": "missing_documents"},
                ),
            ),
            fields={"vehicles": [{"plate": "鲁F12345", "brand_model": "大众帕萨特"}], "period_months": 24},
        ),
        Scenario(
            "returned-2",
            H,
            Q,
            "vehicle_inquiry",
            2,
            (
                Step(
                    1,
                    "clerk",
                    Action.RETURN_FOR_CORRECTION,
                    {"comment": "被执行人身份信息不完整", "reason_code": "unclear_target"},
                ),
                Step(1, "officer", message="已补充被执行人身份证复印件，请查收"),
            ),
            fields=_vehicle_note(),
        ),
        Scenario(
            "returned-3",
            R,
            W,
            "property_investigation",
            13,
            (
                Step(
                    1,
                    "clerk",
                    Action.RETURN_FOR_CORRECTION,
                    {"comment": "调查事项不明确", "reason_code": "unclear_target"},
                ),
            ),
            fields={"scope": "被执行人财产情况"},
        ),
        Scenario(
            "resubmitted",
            W,
            H,
            "vehicle_inquiry",
            3,
            (
                Step(
                    1,
                    "clerk",
                    Action.RETURN_FOR_CORRECTION,
                    {"comment": "协助执行通知书有误", "reason_code": "wrong_documents"},
                ),
                Step(2, "officer", upload="correction"),
                Step(2, "officer", Action.RESUBMIT, {"comment": "已更正协助执行通知书"}),
            ),
            fields=_vehicle_note(),
        ),
        # declined, and declined then redirected by the command center
        Scenario(
            "declined",
            Y,
            W,
            "vehicle_inquiry",
            2,
            (Step(1, "clerk", Action.DECLINE, {"comment": "车辆登记地在寿光市，不属本院辖区"}),),
            fields=_vehicle_note(),
        ),
        Scenario(
            "redirected",
            Q,
            Y,
            "property_investigation",
            3,
            (
                Step(1, "clerk", Action.DECLINE, {"comment": "被执行人住所地在福山区"}),
                Step(2, "center", Action.REDIRECT, {"comment": "改由福山区人民法院办理", "new_court": "鲁0611"}),
            ),
            fields={"scope": "被执行人在福山区的房产和车辆"},
        ),
        # signed for, no handler yet
        Scenario("accepted-1", R, Q, "vehicle_inquiry", 2, (_sign(1),), fields=_vehicle_note()),
        Scenario("accepted-2", H, Y, "real_estate_inquiry", 1, (_sign(1),), fields={"region": "烟台市芝罘区"}),
        # in progress, on time and late
        Scenario(
            "working-1",
            Q,
            W,
            "equity_freeze",
            3,
            (_sign(1), _assign(1, "孙法官")),
            fields={
                "holdings": [
                    {"company_name": "潍坊华东机械有限公司", "company_uscc": "91350100M000100Y43", "amount": "500000"}
                ],
                "period_months": 36,
            },
        ),
        Scenario(
            "working-2",
            Y,
            H,
            "property_investigation",
            4,
            (_sign(1), _assign(2), _results(3, ("威海市环翠区住宅一套", "partial"))),
            fields={"scope": "被执行人在威海的房产", "local_address": ADDRESSES[H]},
        ),
        Scenario("late-work-1", W, Y, "vehicle_inquiry", 15, (_sign(1), _assign(1)), fields=_vehicle_note()),
        Scenario(
            "late-work-2",
            R,
            H,
            "deposit_freeze",
            12,
            (_sign(2), _assign(2, "钱法官"), Step(10, "officer", message="请告知冻结进展")),
            fields={
                "accounts": [
                    {"bank_name": "威海市商业银行环翠支行", "account_no": "6217000011112222333", "amount": "80000"}
                ],
                "period_months": 12,
            },
        ),
        # extensions: one pending, one approved twice (its deadline may reach the next year)
        Scenario(
            "extension-pending",
            Q,
            R,
            "vehicle_seal",
            8,
            (
                _sign(1),
                _assign(1),
                Step(6, "clerk", Action.REQUEST_EXTENSION, {"comment": "车管所系统升级，暂停办理", "days": 5}),
            ),
            fields={"vehicles": [{"plate": "鲁B67890", "brand_model": "丰田卡罗拉"}], "period_months": 24},
        ),
        Scenario(
            "extension-approved",
            H,
            R,
            "property_investigation",
            4,
            (
                _sign(1),
                _assign(1),
                Step(2, "clerk", Action.REQUEST_EXTENSION, {"comment": "需走访多个乡镇", "days": 10}),
                Step(2, "center", Action.APPROVE_EXTENSION, {"comment": "同意延期10个工作日"}),
                Step(3, "clerk", Action.REQUEST_EXTENSION, {"comment": "当事人外出，需再次走访", "days": 10}),
                Step(3, "center", Action.APPROVE_EXTENSION, {"comment": "同意再延期10个工作日"}),
            ),
            fields={"scope": "被执行人在日照各乡镇的财产"},
        ),
        # on-site assistance: one agreed for next week, one in a year without a confirmed schedule
        Scenario(
            "onsite-provisional",
            Y,
            Q,
            "forced_eviction",
            3,
            (
                _sign(1),
                _assign(1, "执行局二队"),
                Step(2, "clerk", Action.SCHEDULE, {"comment": "已与派出所协调", "scheduled_date": provisional_day}),
            ),
            fields={
                "property_address": ADDRESSES[Q] + "3单元501室",
                "scheduled_date": provisional_day.isoformat(),
                **onsite,
            },
        ),
        Scenario(
            "onsite-soon",
            W,
            H,
            "onsite_inspection",
            2,
            (_sign(1), _assign(1, "执行局一队"), Step(2, "clerk", Action.SCHEDULE, {"scheduled_date": soon})),
            fields={
                "site_address": ADDRESSES[H] + "厂房",
                "subject": "查看被执行人厂房内设备",
                "scheduled_date": soon.isoformat(),
                **onsite,
            },
        ),
        # completed: waiting for confirmation (one of them late), and confirmed
        Scenario(
            "completed-1",
            Q,
            Y,
            "vehicle_inquiry",
            5,
            (_sign(1), _assign(1), _results(3, ("鲁F88888", "done"), ("鲁F66666", "not_found")), *_complete(3)),
            fields=_vehicle_note(),
        ),
        Scenario(
            "completed-late",
            R,
            W,
            "real_estate_inquiry",
            14,
            (_sign(1), _assign(1), _results(2, ("奎文区住宅", "done")), *_complete(2)),
            fields={"region": "潍坊市奎文区"},
        ),
        Scenario(
            "confirmed-1",
            Y,
            H,
            "vehicle_inquiry",
            10,
            (
                _sign(1),
                _assign(1),
                _results(2, ("鲁K12345", "done")),
                *_complete(3),
                Step(4, "officer", Action.CONFIRM),
            ),
            fields=_vehicle_note(),
        ),
        Scenario(
            "confirmed-2",
            H,
            Q,
            "document_service",
            15,
            (
                _sign(1),
                _assign(1),
                _results(3, ("张伟", "done")),
                *_complete(4),
                Step(6, "officer", Action.CONFIRM, {"comment": "确认送达"}),
            ),
            fields={"recipients": [{"name": "张伟", "address": ADDRESSES[Q]}], "documents": "执行裁定书一份"},
        ),
        Scenario(
            "confirmed-3",
            W,
            R,
            "deposit_freeze",
            20,
            (
                _sign(1),
                _assign(2),
                _results(5, ("日照银行账户", "done")),
                *_complete(6),
                Step(9, "officer", Action.CONFIRM),
            ),
            fields={
                "accounts": [
                    {"bank_name": "日照银行东港支行", "account_no": "6231000022223333444", "amount": "260000.50"}
                ],
                "period_months": 6,
            },
        ),
        # withdrawn, and sent back for rework
        Scenario(
            "withdrawn",
            Q,
            W,
            "property_investigation",
            3,
            (Step(1, "officer", Action.WITHDRAW, {"comment": "被执行人已自动履行"}),),
            fields={"scope": "被执行人财产情况"},
        ),
        Scenario(
            "rework",
            R,
            Y,
            "vehicle_inquiry",
            7,
            (
                _sign(1),
                _assign(1),
                _results(2, ("鲁Y12345", "done")),
                *_complete(3),
                Step(4, "officer", Action.REQUEST_REWORK, {"comment": "未反馈车辆抵押登记情况，请补充"}),
            ),
            fields=_vehicle_note(),
        ),
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
            command = decode(step.action, step.values)
            version = (await perform(ctx.acting(actor, at), ident, step.action, version, command)).version
    return True


async def seed(database_url: str, now: datetime | None = None, data_dir: Path | None = None) -> list[str]:
    """Demo users and demo delegations (both idempotent); returns the lines to print."""
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
    return [
        f"demo users: {created} created, {len(demo_users()) - created} already present",
        f"demo delegations: {filed} filed, {total - filed} already present",
        f"log in as any of: {names}",
        f"password for every demo user: {DEMO_PASSWORD}",
        "e.g. curl -c jar -H 'content-type: application/json' "
        f'-d \'{{"username":"zhifu-clerk","password":"{DEMO_PASSWORD}"}}\' http://127.0.0.1:8000/api/v1/auth/login',
        "     curl -b jar 'http://127.0.0.1:8000/api/v1/delegations?box=inbox'",
    ]
