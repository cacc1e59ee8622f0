"""The administrators' page: the users of the courts they administer, deactivated and reactivated with the
session's CSRF token; other courts' users and other roles are refused."""

from __future__ import annotations

from tests.api.actors import PASSWORD, Api
from tests.web.support import login


async def test_an_administrator_deactivates_and_reactivates_a_user_of_their_court(api: Api) -> None:
    async with api.client() as admin, api.client() as clerk:
        token = await login(admin, "kuiwen-admin")
        page = await admin.get("/admin/users")
        assert page.status_code == 200
        assert "kuiwen-clerk" in page.text and "zhifu-clerk" not in page.text  # only the 潍坊 court's users
        assert 'href="/admin/users"' in page.text  # in the administrator's navigation
        refused = await admin.post("/admin/users/kuiwen-clerk/deactivate", data={})
        assert refused.status_code == 403  # no CSRF token
        done = await admin.post("/admin/users/kuiwen-clerk/deactivate", data={"csrf_token": token})
        assert done.status_code == 303 and done.headers["location"] == "/admin/users"
        login_refused = await clerk.post("/api/v1/auth/login", json={"username": "kuiwen-clerk", "password": PASSWORD})
        assert login_refused.status_code == 401
        assert "已停用" in (await admin.get("/admin/users")).text
        again = await admin.post("/admin/users/kuiwen-clerk/activate", data={"csrf_token": token})
        assert again.status_code == 303
        back = await clerk.post("/api/v1/auth/login", json={"username": "kuiwen-clerk", "password": PASSWORD})
        assert back.status_code == 200
        foreign = await admin.post("/admin/users/zhifu-clerk/deactivate", data={"csrf_token": token})
        assert foreign.status_code == 404


async def test_the_users_page_is_for_administrators_only(api: Api) -> None:
    async with api.client() as officer:
        await login(officer, "shinan-officer")
        assert (await officer.get("/admin/users")).status_code == 403
        assert 'href="/admin/users"' not in (await officer.get("/notices")).text
