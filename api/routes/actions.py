"""One endpoint per action of the state machine. Each takes the version in If-Match (the ETag) and answers
with the delegation as it is after the action; 409 (with the current state) when the version is stale or
the state does not allow the action, 403 when the caller's part on the matter could never take it.

No `from __future__ import annotations` here: the endpoints are built in a loop, and FastAPI must see each
endpoint's real body model.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Body, Path, Response
from pydantic import BaseModel

from api.conflicts import state_changed
from api.deps import Ctx, ExpectedVersion, etag
from api.schemas import (
    AssignHandlerIn,
    Comment,
    CommentIn,
    DeclineIn,
    DelegationOut,
    ExtensionDecisionIn,
    ExtensionRequestIn,
    ProgressReportIn,
    ReasonIn,
    RecordResultIn,
    RedirectIn,
    ResubmitIn,
    ReturnIn,
    ScheduleIn,
    SignForIn,
    delegation_out,
)
from delegation.core.errors import Conflict, TransitionNotAllowed
from delegation.core.states import Action
from delegation.handling.commands import decode
from delegation.handling.service import perform_and_read
from delegation.reading import delegations as query_service
from delegation.store.context import Context

router = APIRouter(prefix="/api/v1", tags=["actions"])

DelegationId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The delegation's id.")]


class RefuseIn(ExtensionDecisionIn):
    comment: Comment  # a refusal needs its reason


@dataclass(frozen=True)
class ActionRoute:
    action: Action
    path: str
    body: type[BaseModel]
    summary: str


ACTION_ROUTES: tuple[ActionRoute, ...] = (
    ActionRoute(Action.SUBMIT, "submit", CommentIn, "Submit a draft (requesting court; documents required)"),
    ActionRoute(
        Action.SIGN_FOR, "sign-for", SignForIn, "Sign for a submitted matter, optionally assigning the handler"
    ),
    ActionRoute(Action.RETURN_FOR_CORRECTION, "return", ReturnIn, "Return for correction with a reason"),
    ActionRoute(Action.RESUBMIT, "resubmit", ResubmitIn, "Resubmit a corrected matter (requesting court)"),
    ActionRoute(Action.DECLINE, "decline", DeclineIn, "Decline: not this court's jurisdiction"),
    ActionRoute(Action.REDIRECT, "redirect", RedirectIn, "Redirect to another court (command center)"),
    ActionRoute(Action.ASSIGN_HANDLER, "assign-handler", AssignHandlerIn, "Assign or reassign the handler"),
    ActionRoute(Action.SCHEDULE, "schedule", ScheduleIn, "Agree the on-site date (on-site assistance)"),
    ActionRoute(Action.RECORD_RESULT, "record-result", RecordResultIn, "Record per-asset results"),
    ActionRoute(Action.COMPLETE, "complete", CommentIn, "Complete with the 回执 uploaded (assisting court)"),
    ActionRoute(Action.REQUEST_EXTENSION, "request-extension", ExtensionRequestIn, "Ask for more working days"),
    ActionRoute(
        Action.APPROVE_EXTENSION,
        "approve-extension",
        ExtensionDecisionIn,
        "Approve an extension (command center)",
    ),
    ActionRoute(Action.REFUSE_EXTENSION, "refuse-extension", RefuseIn, "Refuse an extension (command center)"),
    ActionRoute(Action.CONFIRM, "confirm", CommentIn, "Confirm the result (requesting court)"),
    ActionRoute(Action.REQUEST_REWORK, "request-rework", ReasonIn, "Send the result back for rework"),
    ActionRoute(Action.WITHDRAW, "withdraw", CommentIn, "Withdraw (a reason is required once submitted)"),
    ActionRoute(
        Action.REPORT_PROGRESS,
        "report-progress",
        ProgressReportIn,
        "执行情况函复: report the state of execution (assisting court; 民诉法 第二百四十条)",
    ),
    ActionRoute(
        Action.REQUEST_SUPERIOR_ORDER,
        "request-superior-order",
        CommentIn,
        "请求上级法院指令执行: ask the assisting court's superior court to order execution (requesting court)",
    ),
)


def _endpoint(spec: ActionRoute):  # type: ignore[no-untyped-def]
    async def run(delegation_id: int, body: BaseModel, version: int, response: Response, ctx: Context) -> DelegationOut:
        command = decode(spec.action, body.model_dump())
        try:
            # The answer is read in the action's own transaction, before it commits (no second transaction),
            # or built from the clocks the action wrote when those are all the matter has (a submit).
            row, listed = await perform_and_read(
                ctx,
                delegation_id,
                spec.action,
                version,
                command,
                lambda row, after: query_service.listed(ctx.session, ctx.ref, ctx.actor, ctx.now, row, after),
            )
        except (Conflict, TransitionNotAllowed) as exc:
            raise await state_changed(ctx, delegation_id, exc) from exc
        response.headers["ETag"] = etag(row.version)
        return delegation_out(listed)

    model = spec.body

    # Every action takes a JSON object, `{}` when there is nothing to say: a body is required, never optional,
    # so that generated clients have one way to call each action.
    async def endpoint(
        delegation_id: DelegationId,
        body: Annotated[model, Body()],  # type: ignore[valid-type]
        version: ExpectedVersion,
        response: Response,
        ctx: Ctx,
    ) -> DelegationOut:
        return await run(delegation_id, body, version, response, ctx)

    endpoint.__name__ = spec.action.value
    return endpoint


for _spec in ACTION_ROUTES:
    router.add_api_route(
        f"/delegations/{{delegation_id}}/{_spec.path}",
        _endpoint(_spec),
        methods=["POST"],
        operation_id=_spec.action.value,
        summary=_spec.summary,
        response_model=DelegationOut,
    )
