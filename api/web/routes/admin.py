"""Administrators' page: the users of the courts they administer, deactivated or reactivated here (new
users and password resets stay on the command line, where no password crosses a page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from api.web.context import Page
from api.web.routes.delegation import problem_text
from delegation.accounts import users as user_service
from delegation.core.errors import DomainError

router = APIRouter(include_in_schema=False)

Username = Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]{1,64}$")]


@router.get("/admin/users")
async def users_page(ctx: Page) -> Response:
    return await _render(ctx)


async def _render(ctx: Page, message: str = "", status_code: int = 200) -> Response:
    users = await user_service.users_administered(ctx.session, ctx.ref, ctx.actor)
    return await ctx.render("pages/admin_users.html", status_code, users=users, message=message)


async def _switch(ctx: Page, username: str, active: bool) -> Response:
    await ctx.form()  # checks the CSRF token
    try:
        await user_service.set_active_as_admin(ctx.session, ctx.ref, ctx.actor, username, active, ctx.now)
    except DomainError as exc:
        if exc.code in ("not_found", "permission_denied"):
            raise
        return await _render(ctx, problem_text(ctx, exc), 422)
    return ctx.redirect("/admin/users")


@router.post("/admin/users/{username}/deactivate")
async def deactivate(ctx: Page, username: Username) -> Response:
    return await _switch(ctx, username, False)


@router.post("/admin/users/{username}/activate")
async def activate(ctx: Page, username: Username) -> Response:
    return await _switch(ctx, username, True)
