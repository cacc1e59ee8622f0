"""补正 in the pages (issue 11, item 2): the clerk returns a matter marking what to correct; the officer sees
the reason at the top of the matter, corrects only the marked fields, uploads what is missing and answers
the reason; the clerk reads the reply with the resubmitted matter."""

from __future__ import annotations

import io
import re
from typing import Any

from tests.api.actors import Api
from tests.api.support import PDF, file_matter, ok
from tests.web.support import csrf_of, login

GOOD_ID = "110101199003074477"


async def _page(client: Any, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return str(response.text)


async def test_the_clerk_marks_what_to_correct_and_the_officer_corrects_only_that(api: Api) -> None:
    async with api.client() as clerk, api.client() as officer, api.client("shinan-officer") as officer_api:
        matter = await file_matter(officer_api)
        ident = matter["id"]
        api.clock.set("2026-03-03")
        clerk_token = await login(clerk, "zhifu-clerk")
        page = await _page(clerk, f"/delegations/{ident}")
        for path in ("fields.note", "parties[1].id_number", "document.enforcement_ruling", "case_number"):
            assert f'name="flagged" value="{path}"' in page
        returned = await clerk.post(
            f"/delegations/{ident}/act/return_for_correction",
            data={
                "csrf_token": clerk_token,
                "version": str(matter["version"]),
                "reason_code": "wrong_documents",
                "comment": "被执行人身份证号码有误，并请补充执行裁定书",
                "flagged": ["fields.note", "parties[1].id_number", "document.enforcement_ruling"],
            },
        )
        assert returned.status_code == 303, returned.text[:600]

        api.clock.set("2026-03-04")
        await login(officer, "shinan-officer")
        page = await _page(officer, f"/delegations/{ident}")
        callout = page.split('class="callout return-callout"')[1].split("</section>")[0]
        assert "退回补正：文书内容有误" in callout and "被执行人身份证号码有误" in callout
        assert "第2名当事人（被执行人）：居民身份证号码" in callout and "执行裁定书" in callout
        assert page.index("return-callout") < page.index('id="s-summary"')  # at the top of the matter
        form = page.split(f'action="/delegations/{ident}/correct"')[1].split("</form>")[0]
        assert 'name="fields.note"' in form and 'name="parties[1].id_number"' in form
        assert 'name="document.enforcement_ruling"' in form and 'name="comment"' in form
        assert 'name="case_number"' not in form and 'name="parties[0].name"' not in form  # not marked
        assert 'value="11010519491231002X"' not in form  # personal data is typed again, never shown
        token = csrf_of(page)
        version = re.search(r'name="version" value="(\d+)"', form)
        assert version
        data = {
            "csrf_token": token,
            "version": version.group(1),
            "fields.note": "请查询被执行人名下全部车辆",
            "parties[1].id_number": "110105194912310021",
            "comment": "已更正",
        }
        refused = await officer.post(f"/delegations/{ident}/correct", data=data)
        assert refused.status_code == 422
        assert re.search(r'id="f-parties-1-id_number"[^>]*aria-invalid="true"', refused.text)
        assert "请查询被执行人名下全部车辆" in refused.text  # what was typed stays
        scan = [("document.enforcement_ruling", ("裁定书.pdf", io.BytesIO(PDF), "application/pdf"))]
        reply = "已更正被执行人身份证号码，并补充执行裁定书"
        done = await officer.post(
            f"/delegations/{ident}/correct",
            data=data | {"parties[1].id_number": GOOD_ID, "comment": reply},
            files=scan,
        )
        assert done.status_code == 303 and done.headers["location"] == f"/delegations/{ident}?ok=resubmit"

        async with api.client() as clerk_again:  # a new day, a new session
            await login(clerk_again, "zhifu-clerk")
            seen = await _page(clerk_again, f"/delegations/{ident}")
        assert "补正答复：" + reply in seen
        assert "已补正：" in seen and "第2名当事人（被执行人）：居民身份证号码" in seen
        detail = ok(await officer_api.get(f"/api/v1/delegations/{ident}"))
        assert detail["status"] == "submitted"
