"""A form refused for the user's part on the matter says so (403, the domain's Chinese title naming who may act,
or its English equivalent), as the API does; a form refused for the matter's state still says the state moved."""

from __future__ import annotations

from tests.api.actors import Api
from tests.api.support import act, file_matter, ok
from tests.web.support import login


async def test_a_form_refused_for_the_users_part_says_who_may_act_in_both_languages(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)
        ident = matter["id"]
        signed = ok(await act(clerk, ident, "sign-for", matter["version"], {"handler": "zhifu-wang"}))
        asked = ok(await act(clerk, ident, "request-extension", signed["version"], {"days": 2, "comment": "调取档案"}))
        token = await login(browser, "zhifu-clerk")
        page = (await browser.get(f"/delegations/{ident}")).text
        assert f'action="/delegations/{ident}/act/approve_extension"' not in page  # not offered
        form = {"csrf_token": token, "version": str(asked["version"]), "days": "2", "comment": ""}
        refused = await browser.post(f"/delegations/{ident}/act/approve_extension", data=form)
        assert refused.status_code == 403
        assert "您在该委托中的身份不能执行此操作，须由执行指挥中心或五市协调员办理" in refused.text
        assert "当前状态下不能执行该操作" not in refused.text
        await browser.get(f"/lang/en?next=/delegations/{ident}")
        english = await browser.post(f"/delegations/{ident}/act/approve_extension", data=form)
        assert english.status_code == 403 and "Your role does not allow this." in english.text
        stale = await browser.post(
            f"/delegations/{ident}/act/sign_for", data={"csrf_token": token, "version": str(asked["version"])}
        )
        assert stale.status_code == 409 and "This action is not possible in the current state" in stale.text
        after = ok(await clerk.get(f"/api/v1/delegations/{ident}"))
        assert after["version"] == asked["version"]
