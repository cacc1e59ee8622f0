"""View models: what a page shows, gathered from the service layer's read models in one place, so the
templates only lay it out and the route handlers stay thin.

Which actions a page offers comes from the service layer's answer (`allowed` from the transition table
and the user's parts on the matter); a few of them also depend on facts the table does not hold (an
extension request pending, the running clock's court), which only decide whether a form is worth showing.
The service decides again, and alone, when the form is sent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from api.web import labels
from courts.registry import Court
from delegation.accounts import handlers as handler_service
from delegation.accounts.handlers import Handler
from delegation.catalogue.fields import DOCUMENT_KINDS, LIST_KIND
from delegation.catalogue.policy import FieldSpec, MatterType, PolicyVersion, missing_documents
from delegation.core import clocks
from delegation.core.access import Actor, Operation, Verdict, authorize, command_center_covers
from delegation.core.clocks import Duty, local_day
from delegation.core.errors import FieldError
from delegation.core.reference import Reference
from delegation.core.states import Action, Status
from delegation.handling import corrections
from delegation.handling.assets import asset_list
from delegation.handling.rules import RECEIPT_KIND, RenewalRisk, agreed_date_ahead, redirect_refusal, renewal_risk
from delegation.notices import model as notice_model
from delegation.notices import service as notice_service
from delegation.reading import delegations as query_service
from delegation.reading import worklists as worklist_service
from delegation.reading.delegations import ClockView, DetailView, Listed
from delegation.reading.followups import FOLLOWED_KINDS, Followup
from delegation.store.tables import AssetResultRow, DelegationRow, EventRow, ExtensionRow, NoticeRow

CLOSED = (Status.CONFIRMED.value, Status.WITHDRAWN.value)


@dataclass(frozen=True)
class Shown:
    """One value of a matter field or a party, as anyone may see it (masked), and whether it can be revealed."""

    spec: FieldSpec
    path: str
    value: object
    revealable: bool


@dataclass(frozen=True)
class FieldLine:
    spec: FieldSpec
    shown: Shown | None  # a plain field
    rows: list[list[Shown]] | None = None  # a list field: one row per item


@dataclass(frozen=True)
class PartyLine:
    index: int
    role: str
    role_label_zh: str
    role_label_en: str
    cells: list[Shown]


@dataclass
class FormState:
    """An action form sent back with problems: which form, its values, and the field errors."""

    action: str
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[FieldError]] = field(default_factory=dict)


@dataclass
class DetailModel:
    view: DetailView
    policy: PolicyVersion
    matter: MatterType
    fields: list[FieldLine]
    parties: list[PartyLine]
    actions: list[str]
    pending_extension: ExtensionRow | None
    notices: list[NoticeRow]
    names: dict[str, str]
    missing_documents: list[str]
    receipt_uploaded: bool
    can_upload: bool
    can_message: bool
    can_reveal: bool
    can_notice: bool  # 催办 (the city's command center); 督办 also needs can_supervise
    can_supervise: bool  # the superior court of the holder (执行工作若干问题的规定 第74条)
    running: ClockView | None
    redirect_courts: list[Court]
    handlers: list[Handler]  # the assisting court's handlers, when this user may sign for or assign
    superior_court: str | None  # the assisting court's superior (请求上级法院指令执行)
    renewal: RenewalRisk | None  # a renewal's lapse: warned about when the margin is gone
    service: bool  # results are served documents (送达回证: day, method, who signed)
    asset_defaults: list[str]
    upload_kinds: list[str]
    today: date
    can_edit: bool = False  # a draft, by its requesting court: the form to change it
    last_return: EventRow | None = None  # the return for correction the matter is (or was last) in
    last_resubmit: EventRow | None = None  # the answer to it, with the requesting court's reply
    unmasked: bool = False  # the draft's author sees what they typed (issue 11), with nothing to reveal
    agreed_date_ahead: date | None = None  # on-site: no result or completion before it (rules.agreed_date_ahead)

    @property
    def row(self) -> DelegationRow:
        return self.view.listed.row

    @property
    def timeline(self) -> list[EventRow]:
        return list(reversed(self.view.events))

    @property
    def results(self) -> Sequence[AssetResultRow]:
        return self.view.results

    @property
    def document_kinds(self) -> list[str]:
        """The kinds of document the requesting court enclosed (for its letter)."""
        row = self.row
        return list(dict.fromkeys(d.kind for d in self.view.documents if d.uploaded_court == row.requesting_court))

    @property
    def flagged(self) -> list[str]:
        """What the last return flagged for correction (paths; see delegation.handling.corrections)."""
        return list(self.last_return.data.get("flagged") or []) if self.last_return is not None else []

    @property
    def correction_inputs(self) -> list[tuple[str, FieldSpec | None, object]]:
        """The flagged values the requesting court may correct: (path, spec or None for case number and
        summary, current value unless it is personal data, which is typed again rather than shown)."""
        row = self.row
        out: list[tuple[str, FieldSpec | None, object]] = []
        for path in corrections.editable(self.flagged):
            if path in ("case_number", "summary"):
                out.append((path, None, getattr(row, path)))
            elif path.startswith("fields."):
                spec = self.matter.field_map.get(path.removeprefix("fields."))
                if spec is not None:
                    value = row.fields.get(spec.name)
                    out.append((path, spec, None if spec.is_pii else value))
            else:
                index, _, name = path.removeprefix("parties[").partition("].")
                spec = next((f for f in self.policy.party_fields.fields if f.name == name), None)
                if spec is not None and index.isdigit() and int(index) < len(row.parties):
                    value = row.parties[int(index)].get(name)
                    out.append((path, spec, None if spec.is_pii else value))
        return out

    @property
    def correction_documents(self) -> list[str]:
        """The document kinds the last return asked for."""
        return [p.removeprefix("document.") for p in self.flagged if p.startswith("document.")]

    def party_names(self, role: str) -> list[str]:
        """The names of the parties in one role (names are not masked: they identify the case)."""
        return [str(p.get("name", "")) for p in self.view.masked.parties if p.get("role") == role and p.get("name")]


def _shown(spec: FieldSpec, path: str, value: object, revealable: set[str], may_reveal: bool) -> Shown:
    return Shown(spec, path, value, may_reveal and path in revealable)


def field_lines(matter: MatterType, values: dict[str, Any], revealable: set[str], may_reveal: bool) -> list[FieldLine]:
    lines: list[FieldLine] = []
    for spec in matter.fields:
        value = values.get(spec.name)
        path = f"fields.{spec.name}"
        if spec.kind == LIST_KIND:
            rows = []
            for i, item in enumerate(value if isinstance(value, list) else []):
                item = item if isinstance(item, dict) else {}
                rows.append(
                    [
                        _shown(sub, f"{path}[{i}].{sub.name}", item.get(sub.name), revealable, may_reveal)
                        for sub in spec.item_fields or ()
                    ]
                )
            lines.append(FieldLine(spec, None, rows))
        else:
            lines.append(FieldLine(spec, _shown(spec, path, value, revealable, may_reveal)))
    return lines


def party_lines(
    policy: PolicyVersion, parties: list[dict[str, Any]], revealable: set[str], may_reveal: bool
) -> list[PartyLine]:
    roles = {r.code: r for r in policy.party_fields.roles}
    out: list[PartyLine] = []
    for i, party in enumerate(parties):
        role = roles.get(str(party.get("role")))
        cells = [
            _shown(spec, f"parties[{i}].{spec.name}", party.get(spec.name), revealable, may_reveal)
            for spec in policy.party_fields.fields
        ]
        out.append(
            PartyLine(
                i,
                str(party.get("role")),
                role.name_zh if role else str(party.get("role")),
                role.name_en if role else str(party.get("role")),
                cells,
            )
        )
    return out


def _running(views: Sequence[ClockView]) -> ClockView | None:
    return clocks.running(views)


def usable_actions(
    ref: Reference,
    actor: Actor,
    view: DetailView,
    policy: PolicyVersion,
    running: ClockView | None,
    pending: ExtensionRow | None,
) -> list[str]:
    """The actions the matter offers this user now (the read model already leaves out deciding an extension
    they may not decide, or when none is pending), less those whose form could not succeed for a fact outside
    the table (the running clock held by the other court). The service checks everything again when the form
    is sent."""
    row = view.listed.row
    out: list[str] = []
    for action in view.listed.allowed:
        if action is Action.REQUEST_EXTENSION:
            limits = policy.extensions
            used = sum(1 for e in view.extensions if running is not None and e.clock_id == running.id)
            if (
                pending is not None
                or running is None
                or running.clock.court_code != actor.court_code
                or running.clock.stage.value not in limits.stages
                or used >= limits.max_requests
            ):
                continue
        if action is Action.REQUEST_SUPERIOR_ORDER and not any(
            v.clock.duty is Duty.START
            and v.clock.is_open
            and v.breached
            and v.clock.court_code == row.assisting_court
            and v.remedy_requested_at is None
            for v in view.statutory
        ):
            continue
        if action is Action.REDIRECT and not (
            command_center_covers(actor, row.assisting_court, ref.city_of)
            or command_center_covers(actor, row.requesting_court, ref.city_of)
        ):
            continue
        out.append(action.value)
    return sorted(out, key=lambda a: _rank(a, row))


# The order forms are offered in: what moves the matter on first, corrections and retreats last.
_ORDER = (
    "submit",
    "resubmit",
    "sign_for",
    "confirm",
    "approve_extension",
    "refuse_extension",
    "redirect",
    "first_handler",
    "first_schedule",
    "record_result",
    "complete",
    "assign_handler",
    "schedule",
    "request_superior_order",
    "report_progress",
    "request_extension",
    "request_rework",
    "return_for_correction",
    "decline",
    "withdraw",
)


def _rank(action: str, row: DelegationRow) -> int:
    if action == "assign_handler" and row.handler is None:
        action = "first_handler"
    elif action == "schedule" and row.status != Status.SCHEDULED.value:
        action = "first_schedule"
    return _ORDER.index(action) if action in _ORDER else len(_ORDER)


def _allowed(actor: Actor, operation: Operation, row: DelegationRow, ref: Reference) -> bool:
    verdict = authorize(actor, operation, query_service.parties_of(row), ref.city_of)
    return verdict is Verdict.ALLOW


def _may_supervise(ref: Reference, actor: Actor, holder: str) -> bool:
    superior = notice_model.supervising_court(ref, holder)
    return superior is not None and notice_model.may_supervise(ref, actor, superior)


def _superior(ref: Reference, court_code: str) -> str | None:
    court = ref.registry.find(court_code)
    superior = ref.registry.superior(court.code) if court is not None else None
    return superior.code if superior is not None else None


def redirect_courts(ref: Reference, row: DelegationRow) -> list[Court]:
    """The courts of the five cities a declined matter may be redirected to: those the redirect rule accepts
    (rules.redirect_refusal: active, neither of its own two courts, of the level of the court that declined)."""
    return [
        c
        for c in ref.registry.courts()
        if c.city in ref.registry.cities() and redirect_refusal(ref, row, c.code) is None
    ]


def asset_defaults(matter: MatterType, values: dict[str, Any]) -> list[str]:
    """Names for the per-asset result rows: each item's name as its result is stored (handling.assets:
    不动产 1, 受送达人 1（张伟）), or the matter itself. In Chinese whatever the page's language: the name is
    stored in the record, which is Chinese (an English page had prefilled "Forced eviction"). Personal data is
    never used as a name."""
    listed = asset_list(matter, values)
    if listed is not None and listed.items:
        return [listed.name(position) for position in range(1, len(listed.items) + 1)]
    return [matter.name_zh]


async def detail_model(
    session: AsyncSession, ref: Reference, actor: Actor, now: datetime, delegation_id: int
) -> DetailModel:
    view = await query_service.detail(session, ref, actor, now, delegation_id)
    row = view.listed.row
    policy = ref.policies.get(row.policy_version)
    matter = policy.matter(row.matter_type)
    may_reveal = _allowed(actor, Operation.REVEAL, row, ref)
    revealable = set(view.masked.revealable)
    running = _running(view.clocks)
    pending = next((e for e in view.extensions if e.status == "pending"), None)
    notices = await notice_service.notices_of(session, ref, actor, delegation_id)
    usernames = [e.actor for e in view.events] + [d.uploaded_by for d in view.documents]
    names = await worklist_service.display_names(session, usernames)
    kinds = [d.kind for d in view.documents]
    closed = row.status in CLOSED
    can_upload = not closed and _allowed(actor, Operation.UPLOAD_DOCUMENT, row, ref)
    draft = row.status == Status.DRAFT.value
    can_edit = draft and _allowed(actor, Operation.EDIT_DRAFT, row, ref)
    # The author of a draft typed its values: they see them as typed, and there is nothing to reveal.
    unmasked = can_edit and row.created_by == actor.username
    shown_fields, shown_parties = (row.fields, row.parties) if unmasked else (view.masked.fields, view.masked.parties)
    if unmasked:
        revealable = set()
    actions = usable_actions(ref, actor, view, policy, running, pending)
    assigns = {"sign_for", "assign_handler", "first_handler"} & set(actions)
    handlers = await handler_service.handlers_of(session, row.assisting_court) if assigns else []
    return DetailModel(
        view=view,
        policy=policy,
        matter=matter,
        fields=field_lines(matter, dict(shown_fields), revealable, may_reveal),
        parties=party_lines(policy, [dict(p) for p in shown_parties], revealable, may_reveal),
        actions=actions,
        pending_extension=pending,
        notices=notices,
        names=names,
        missing_documents=missing_documents(matter, kinds),
        receipt_uploaded=any(
            d.kind == RECEIPT_KIND and d.uploaded_court == row.assisting_court for d in view.documents
        ),
        can_upload=can_upload,
        can_message=row.status != Status.DRAFT and not closed and _allowed(actor, Operation.SEND_MESSAGE, row, ref),
        can_reveal=may_reveal,
        can_notice=running is not None and command_center_covers(actor, running.clock.court_code, ref.city_of),
        can_supervise=running is not None and _may_supervise(ref, actor, running.clock.court_code),
        running=running,
        redirect_courts=redirect_courts(ref, row),
        handlers=handlers,
        superior_court=_superior(ref, row.assisting_court),
        service=policy.group(matter.group).service_of_documents,
        renewal=None if closed else renewal_risk(policy, row.matter_type, row.fields, local_day(now), ref.calendar),
        asset_defaults=asset_defaults(matter, view.masked.fields),
        upload_kinds=list(DOCUMENT_KINDS),
        today=local_day(now),
        agreed_date_ahead=agreed_date_ahead(row, now),
        can_edit=can_edit,
        unmasked=unmasked,
        last_return=_last(view.events, Action.RETURN_FOR_CORRECTION),
        last_resubmit=_last(view.events, Action.RESUBMIT),
    )


def _last(events: Sequence[EventRow], action: Action) -> EventRow | None:
    return next((e for e in reversed(events) if e.action == action.value), None)


def path_label(h: Any, model: DetailModel, path: str, short: bool = False) -> str:
    """What a flagged path names, as people read it: 案号, 车辆信息, 第2名当事人（被执行人）：身份证号码,
    执行裁定书; `short`: without the party (under a heading that names it)."""
    if path == "case_number":
        return str(h._("Case number"))
    if path == "summary":
        return str(h._("What is asked (summary)"))
    if path.startswith("document."):
        return str(h.doc_kind(path.removeprefix("document.")))
    if path.startswith("fields."):
        spec = model.matter.field_map.get(path.removeprefix("fields."))
        return str(h.spec_label(spec)) if spec is not None else path
    index, _, name = path.removeprefix("parties[").partition("].")
    party = model.parties[int(index)] if index.isdigit() and int(index) < len(model.parties) else None
    spec = next((f for f in model.policy.party_fields.fields if f.name == name), None)
    if party is None or spec is None:
        return path
    if short:
        return str(h.spec_label(spec))
    role = party.role_label_zh if h.zh() else party.role_label_en
    return str(h._("Party %(n)d (%(role)s): %(field)s", n=party.index + 1, role=role, field=h.spec_label(spec)))


def next_step(h: Any, model: DetailModel) -> str:
    """One line: who holds the ball, what they must do next and by when (待受托法院签收 · 剩余1个工作日),
    with what is pending on the side (an extension to decide, the 催办/督办 already issued)."""
    row = model.row
    court = row.requesting_court if row.status in labels.HELD_BY_REQUESTER else row.assisting_court
    parts = [str(h._(labels.NEXT_STEP.get(row.status, "%(court)s"), court=h.court(court)))]
    if model.running is not None:
        badge = h.clock_badge(model.running)
        parts.append(badge.text)
        if badge.due:
            parts.append(str(h._("due %(day)s", day=badge.due)))
    if model.pending_extension is not None:
        parts.append(_extension_waits(h, model.pending_extension.days))
    for kind in ("urge", "supervise"):
        count = sum(1 for n in model.notices if n.kind == kind)
        if count:
            name = h.notice_kind(kind)
            issued = h.ngettext("%(kind)s issued once", "%(kind)s issued %(num)d times", count, kind=name)
            parts.append(str(issued))
    return " · ".join(parts)


def flag_groups(model: DetailModel) -> list[tuple[str, list[str]]]:
    """The paths a return may flag on this matter, grouped as the matter's page shows them:
    the case, the matter's fields, each party, the documents."""
    paths = corrections.flaggable(model.policy, model.matter, len(model.row.parties))
    groups: list[tuple[str, list[str]]] = [
        ("case", [p for p in paths if p in ("case_number", "summary") or p.startswith("fields.")])
    ]
    for i in range(len(model.row.parties)):
        groups.append((f"party:{i}", [p for p in paths if p.startswith(f"parties[{i}].")]))
    # The matter's required kinds first, then any other a requesting court encloses (not the 回执, which is
    # the assisting court's own).
    kinds = dict.fromkeys([*model.matter.required_documents, *(k for k in DOCUMENT_KINDS if k != RECEIPT_KIND)])
    groups.append(("documents", [f"document.{k}" for k in kinds]))
    return groups


@dataclass(frozen=True)
class NoticeDocument:
    """A notice's text (templates/notifications) laid out as an official document: addressee, paragraphs,
    copy-to line and the issuer's signature; the heading (kind and number) is printed separately."""

    addressee: str
    paragraphs: list[str]
    copy_to: str
    signature: list[str]


# 2026年3月2日, or as documents sign: 二〇二六年三月二日.
_CN = "〇一二三四五六七八九十"
_DATE_LINE = re.compile(rf"^(\d{{4}}年\d{{1,2}}月\d{{1,2}}日|[{_CN}]{{4}}年[{_CN}]{{1,3}}月[{_CN}]{{1,3}}日)$")


def notice_document(body: str, heading: Sequence[str]) -> NoticeDocument:
    blocks = [b.strip() for b in re.split(r"\n\s*\n", body.strip()) if b.strip()]
    if blocks and all(line.strip() in heading for line in blocks[0].splitlines()):
        blocks = blocks[1:]
    signature: list[str] = []
    if blocks and _DATE_LINE.match(blocks[-1].splitlines()[-1].strip()):
        signature = [line.strip() for line in blocks.pop().splitlines()]
    addressee = ""
    if blocks and "\n" not in blocks[0] and blocks[0].endswith("："):
        addressee = blocks.pop(0)
    copy_to = next((b for b in blocks if b.startswith("抄送：")), "")
    return NoticeDocument(addressee, [b for b in blocks if b != copy_to], copy_to, signature)


def row_next_step(h: Any, item: Listed) -> str:
    """A list row's line: who holds the ball, what they must do next and by when (待受托法院签收 · 剩余1个工作日)."""
    row = item.row
    court = row.requesting_court if row.status in labels.HELD_BY_REQUESTER else row.assisting_court
    parts = [str(h._(labels.NEXT_STEP.get(row.status, "%(court)s"), court=h.court(court)))]
    if item.clock is not None:
        badge = h.badge(item.clock)
        parts.append(badge.text)
        if badge.due:
            parts.append(str(h._("due %(day)s", day=badge.due)))
    return " · ".join(parts)


def row_followups(h: Any, follow: Followup | None) -> list[str]:
    """What was already done about a waiting row: 催办/督办 issued (how often, the latest) and a pending
    extension; shown beside an overdue row so that a second 督办 is not sent unknowingly."""
    if follow is None:
        return []
    parts = [
        _followed(h, kind, i.count, h.date(i.latest))
        for kind, i in sorted(follow.issued.items(), key=lambda kv: FOLLOWED_KINDS.index(kv[0]))
    ]
    if follow.pending_extension_days is not None:
        parts.append(_extension_waits(h, follow.pending_extension_days))
    return parts


def _extension_waits(h: Any, days: int) -> str:
    """A clause of a matter's line: an extension waits for the command center's decision."""
    return str(
        h.ngettext(
            "an extension of %(num)d working day waits for the command center",
            "an extension of %(num)d working days waits for the command center",
            days,
        )
    )


def _followed(h: Any, kind: str, count: int, day: str) -> str:
    """How often a 催办 or 督办 was issued about a matter, and the latest day: "Urged 2 times, last on …"."""
    if kind == "urge":
        text = h.ngettext("Urged %(num)d time, last on %(day)s", "Urged %(num)d times, last on %(day)s", count, day=day)
    else:
        text = h.ngettext(
            "Supervised %(num)d time, last on %(day)s", "Supervised %(num)d times, last on %(day)s", count, day=day
        )
    return str(text)
