"""What each kind of change notifies, and to whom (pure): transitions, notices, acknowledgements, digests.

Transitions tell the other side of the matter; a 催办/督办 goes to the court holding the ball and its city's
command center; an escalation also to the regional coordinators; an acknowledgement back to the command center.
Prefect event payloads and webhook documents carry no personal data: codes, states and numbers only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from delegation.core.access import UserRole
from delegation.core.clocks import local_day
from delegation.core.reference import Reference
from delegation.core.states import Action
from delegation.notices.model import (
    ACTION_LABEL,
    KIND_LABEL,
    STATUS_LABEL,
    NoticeDraft,
    NoticeKind,
    court_name,
    day_text,
    elapsed_text,
    holder_role,
)
from delegation.outbox import texts
from delegation.outbox.model import Audience, Intent, Topic, iso

# Event data keys that are safe to publish (no names, addresses, account numbers or free text).
PUBLIC_KEYS = (
    "reason_code",
    "days",
    "approved_days",
    "stage",
    "from_court",
    "to_court",
    "scheduled_date",
    "extension_id",
    "superior_court",
)


def _court_related(code: str, role: str) -> dict[str, str]:
    return {"prefect.resource.id": f"court.{code}", "prefect.resource.role": role}


def transition_intent(
    ref: Reference,
    *,
    delegation_id: int,
    number: str,
    case_number: str,
    requesting_court: str,
    assisting_court: str,
    action: str,
    from_status: str | None,
    to_status: str | None,
    actor: str,
    actor_court: str | None,
    at: datetime,
    comment: str,
    data: dict[str, Any],
) -> Intent:
    new_court = data.get("to_court") if isinstance(data.get("to_court"), str) else None
    courts = [requesting_court, assisting_court] + ([new_court] if new_court else [])
    audiences: list[Audience] = []
    requesters = Audience(UserRole.REQUESTING_OFFICER.value, court=requesting_court)
    assisting = Audience(UserRole.ASSISTING_CLERK.value, court=new_court or assisting_court)
    if actor_court == requesting_court:
        audiences.append(assisting)
    elif actor_court == assisting_court:
        audiences.append(requesters)
    else:
        audiences += [requesters, assisting]
    if action == Action.REQUEST_EXTENSION and actor_court is not None:
        city = ref.city_of(actor_court)
        if city is not None:
            audiences.append(Audience(UserRole.COMMAND_CENTER.value, city=city))
    superior = data.get("superior_court") if action == Action.REQUEST_SUPERIOR_ORDER else None
    if isinstance(superior, str):
        # 请求上级法院指令执行 (民诉法 第二百四十条) is addressed to the assisting court's superior court: its
        # command center, or the regional coordinator acting for the high court, which takes no matters.
        audiences.append(Audience(UserRole.COMMAND_CENTER.value, court=superior))
        found = ref.registry.find(superior)
        if found is not None and not found.takes_matters:
            audiences.append(Audience(UserRole.REGIONAL_COORDINATOR.value))
        courts.append(superior)
    action_label = ACTION_LABEL.get(action, action)
    status_label = STATUS_LABEL.get(to_status or "", to_status or "")
    body = texts.render(
        "transition",
        number=number,
        case_number=case_number,
        action_label=action_label,
        actor_court_name=court_name(ref, actor_court) if actor_court else "",
        status_label=status_label,
        comment=comment,
    )
    public = {k: data[k] for k in PUBLIC_KEYS if k in data}
    return Intent(
        topic=Topic.TRANSITION.value,
        event=f"jiaodong.delegation.{action}",
        subject=f"{number} {action_label}：{status_label}"[:200],
        body=body,
        occurred_at=iso(at),
        audiences=tuple(audiences),
        courts=tuple(dict.fromkeys(courts)),
        delegation_id=delegation_id,
        delegation_number=number,
        resource={
            "jiaodong.status": to_status or "",
            "jiaodong.requesting-court": requesting_court,
            "jiaodong.assisting-court": new_court or assisting_court,
        },
        related=(
            _court_related(requesting_court, "requesting-court"),
            _court_related(new_court or assisting_court, "assisting-court"),
            {"prefect.resource.id": f"jiaodong.user.{actor}", "prefect.resource.role": "actor"},
        ),
        data={
            "number": number,
            "action": action,
            "from_status": from_status,
            "to_status": to_status,
            "actor_court": actor_court,
            "at": iso(at),
            **public,
        },
    )


def _notice_routes(ref: Reference, notice: NoticeDraft) -> tuple[tuple[Audience, ...], tuple[str, ...]]:
    """Who sees a notice in the inbox (audiences) and whose subscriptions receive it (courts)."""
    s = notice.subject
    audiences = [Audience(holder_role(s.stage).value, court=s.holder)]
    courts = [s.holder]
    if notice.kind is NoticeKind.SUPERVISE:
        # The issuing court's command center (the regional coordinator acts for the high court), the
        # holder's own command center, and the court copied (the requesting court) see it.
        audiences.append(Audience(UserRole.COMMAND_CENTER.value, city=notice.city))
        if notice.issuing_court:
            audiences.append(Audience(UserRole.COMMAND_CENTER.value, court=notice.issuing_court))
            issuer = ref.registry.find(notice.issuing_court)
            if issuer is not None and not issuer.takes_matters:
                audiences.append(Audience(UserRole.REGIONAL_COORDINATOR.value))
        if notice.cc_court:
            other = s.requesting_court if notice.cc_court == s.requesting_court else s.assisting_court
            role = UserRole.REQUESTING_OFFICER if other == s.requesting_court else UserRole.ASSISTING_CLERK
            audiences.append(Audience(role.value, court=notice.cc_court))
            courts.append(notice.cc_court)
    elif notice.kind is not NoticeKind.REMINDER:
        audiences.append(Audience(UserRole.COMMAND_CENTER.value, city=notice.city))
        if notice.cc_court:
            courts.append(notice.cc_court)
    if notice.kind is NoticeKind.ESCALATE:
        audiences.append(Audience(UserRole.REGIONAL_COORDINATOR.value))
    return tuple(audiences), tuple(dict.fromkeys(courts))


def notice_intent(
    ref: Reference,
    notice: NoticeDraft,
    notice_id: int,
    title: str,
    body: str = "",
    routes: dict[Any, tuple[tuple[Audience, ...], tuple[str, ...]]] | None = None,
) -> Intent:
    """The notice's text stays on its row (body ""), and is read back when the intent is expanded. `routes`:
    audiences and courts already worked out for notices of the same kind between the same courts (a batch)."""
    s = notice.subject
    key = (notice.kind, s.stage, s.holder, notice.city, notice.issuing_court, notice.cc_court, s.requesting_court)
    found = routes.get(key) if routes is not None else None
    if found is None:
        found = _notice_routes(ref, notice)
        if routes is not None:
            routes[key] = found
    audiences, courts = found
    return Intent(
        topic=Topic.NOTICE.value,
        event=f"jiaodong.notice.{notice.kind.value}",
        subject=title,
        body=body,
        occurred_at=iso(notice.issued_at),
        audiences=audiences,
        courts=courts,
        delegation_id=s.delegation_id,
        delegation_number=s.number,
        notice_id=notice_id,
        resource={"jiaodong.status": s.status, "jiaodong.holder-court": s.holder},
        related=(_court_related(s.holder, "holder-court"),),
        data={
            "number": s.number,
            "notice_id": notice_id,
            "notice_kind": notice.kind.value,
            "notice_number": notice.number_text,
            "rung": notice.rung.value if notice.rung else None,
            "stage": s.stage.value,
            "to_court": s.holder,
            "cc_court": notice.cc_court,
            "issuing_court": notice.issuing_court,
            "reply_by": notice.reply_by.isoformat() if notice.reply_by else None,
            "due_at": iso(s.due.at) if s.due else None,
            "working_days_overdue": notice.working_days_overdue,
            "requires_ack": notice.requires_ack,
            "issued_by": notice.issued_by,
        },
    )


def supervision_draft_intent(ref: Reference, notice: NoticeDraft, draft_id: int) -> Intent:
    """A 督办 prepared by the sweep, waiting for the superior court's command center (or the regional
    coordinator, for the high court) to issue it."""
    s = notice.subject
    issuer = notice.issuing_court or ""
    audiences = [Audience(UserRole.COMMAND_CENTER.value, court=issuer)]
    found = ref.registry.find(issuer) if issuer else None
    if found is not None and not found.takes_matters:
        audiences.append(Audience(UserRole.REGIONAL_COORDINATOR.value))
    subject = f"督办待签发：{s.number} {court_name(ref, s.holder)}"[:200]
    body = (
        f"{court_name(ref, s.holder)}办理的委托事项 {s.number}（案号 {s.case_number}）已超期"
        f"{notice.working_days_overdue}个工作日，已生成督办通知草稿，请以{court_name(ref, issuer)}名义审核签发。"
    )
    return Intent(
        topic=Topic.NOTICE.value,
        event="jiaodong.notice.supervise_drafted",
        subject=subject,
        body=body,
        occurred_at=iso(notice.issued_at),
        audiences=tuple(audiences),
        courts=(issuer,) if issuer else (),
        delegation_id=s.delegation_id,
        delegation_number=s.number,
        resource={"jiaodong.status": s.status, "jiaodong.holder-court": s.holder},
        related=(_court_related(s.holder, "holder-court"),),
        data={
            "number": s.number,
            "draft_id": draft_id,
            "stage": s.stage.value,
            "to_court": s.holder,
            "issuing_court": issuer,
            "working_days_overdue": notice.working_days_overdue,
        },
    )


def acknowledgement_intent(
    ref: Reference,
    *,
    delegation_id: int,
    number: str,
    status: str,
    notice_id: int,
    notice_number: str | None,
    to_court: str,
    cc_court: str | None,
    at: datetime,
    seconds: int,
    reply: str,
) -> Intent:
    city = ref.city_of(to_court)
    label = notice_number or KIND_LABEL[NoticeKind.SUPERVISE]
    body = texts.render(
        "acknowledged",
        court_name=court_name(ref, to_court),
        acknowledged_text=day_text(local_day(at)),
        notice_number=label,
        number=number,
        elapsed_text=elapsed_text(seconds),
        reply=reply,
    )
    return Intent(
        topic=Topic.ACKNOWLEDGEMENT.value,
        event="jiaodong.notice.acknowledged",
        subject=f"督办已签收 {label}：{number}"[:200],
        body=body,
        occurred_at=iso(at),
        audiences=(Audience(UserRole.COMMAND_CENTER.value, city=city),) if city else (),
        courts=tuple(c for c in (cc_court,) if c),
        delegation_id=delegation_id,
        delegation_number=number,
        notice_id=notice_id,
        resource={"jiaodong.status": status, "jiaodong.holder-court": to_court},
        related=(_court_related(to_court, "holder-court"),),
        data={
            "number": number,
            "notice_id": notice_id,
            "notice_number": notice_number,
            "to_court": to_court,
            "acknowledged_by_court": to_court,
            "ack_seconds": seconds,
        },
    )


def digest_intent(
    *,
    title: str,
    body: str,
    at: datetime,
    audiences: tuple[Audience, ...],
    courts: tuple[str, ...],
    data: dict[str, Any],
) -> Intent:
    return Intent(
        topic=Topic.DIGEST.value,
        event="jiaodong.digest.daily",
        subject=title[:200],
        body=body,
        occurred_at=iso(at),
        audiences=audiences,
        courts=courts,
        data=data,
    )


def message_intent(
    ref: Reference,
    *,
    delegation_id: int,
    number: str,
    case_number: str,
    requesting_court: str,
    assisting_court: str,
    actor_court: str | None,
    at: datetime,
    text: str,
) -> Intent:
    """A message from one court of the matter to the other: the other court's people read it in their inbox.
    Webhooks and events say only that a message came (its text may name people)."""
    from_requester = actor_court == requesting_court
    to_court = assisting_court if from_requester else requesting_court
    role = UserRole.ASSISTING_CLERK if from_requester else UserRole.REQUESTING_OFFICER
    body = texts.render(
        "message",
        number=number,
        case_number=case_number,
        actor_court_name=court_name(ref, actor_court) if actor_court else "",
        text=text,
    )
    return Intent(
        topic=Topic.MESSAGE.value,
        event="jiaodong.delegation.message",
        subject=f"{number} 新消息：{court_name(ref, actor_court) if actor_court else ''}"[:200],
        body=body,
        occurred_at=iso(at),
        audiences=(Audience(role.value, court=to_court),),
        courts=(to_court,),
        delegation_id=delegation_id,
        delegation_number=number,
        resource={"jiaodong.requesting-court": requesting_court, "jiaodong.assisting-court": assisting_court},
        related=(_court_related(to_court, "recipient-court"),),
        data={"number": number, "from_court": actor_court, "to_court": to_court, "at": iso(at)},
    )


def assignment_intents(
    ref: Reference,
    *,
    delegation_id: int,
    number: str,
    case_number: str,
    requesting_court: str,
    assisting_court: str,
    handler: str,
    handler_name: str,
    previous_handler: str | None,
    at: datetime,
    comment: str,
) -> list[Intent]:
    """A matter assigned to a handler (a user): the handler is told, and so is the handler it was taken from.
    In-app only (no court subscription gets these: the transition's own intent already tells the courts)."""
    found: list[Intent] = []
    common = {
        "number": number,
        "case_number": case_number,
        "court_name": court_name(ref, assisting_court),
        "requesting_court_name": court_name(ref, requesting_court),
        "new_handler_name": handler_name,
        "comment": comment,
    }
    for username, assigned in ((handler, True), (previous_handler, False)):
        if not username or (not assigned and username == handler):
            continue
        found.append(
            Intent(
                topic=Topic.ASSIGNMENT.value,
                event="jiaodong.delegation.assigned" if assigned else "jiaodong.delegation.unassigned",
                subject=(f"{number} 指定您承办" if assigned else f"{number} 已改派他人承办")[:200],
                body=texts.render("assignment", assigned=assigned, **common),
                occurred_at=iso(at),
                audiences=(Audience(UserRole.HANDLER.value, court=assisting_court, username=username),),
                delegation_id=delegation_id,
                resource={"jiaodong.assisting-court": assisting_court},
                data={"number": number, "assisting_court": assisting_court, "assigned": assigned},
            )
        )
    return found
