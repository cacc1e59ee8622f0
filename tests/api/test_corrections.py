"""补正 over the API (issue 11, item 2): the assisting court returns a matter flagging what to correct; the
requesting court may change only those fields (checked as at filing), must add the documents asked for,
and its reply goes with the resubmission to the assisting court."""

from __future__ import annotations

from sqlmodel import col, select

from delegation.store.tables import DelegationRow, EventRow
from tests.api.actors import Api
from tests.api.support import act, file_matter, ok, upload

FLAGGED = ["fields.note", "parties[1].id_number", "document.enforcement_ruling"]


async def test_a_return_flags_fields_and_a_resubmission_changes_only_those(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)
        ident, version = matter["id"], matter["version"]
        api.clock.set("2026-03-03")  # returned the next day: what was filed before does not answer it
        odd = await act(
            clerk,
            ident,
            "return",
            version,
            {"reason_code": "wrong_documents", "comment": "x", "flagged": ["fields.no_such"]},
        )
        assert odd.status_code == 422 and "flagged" in odd.text
        returned = ok(
            await act(
                clerk,
                ident,
                "return",
                version,
                {"reason_code": "wrong_documents", "comment": "身份证号码有误，缺执行裁定书", "flagged": FLAGGED},
            )
        )
        version = returned["version"]
        unflagged = await act(officer, ident, "resubmit", version, {"changes": {"summary": "改了说明"}})
        assert unflagged.status_code == 422 and unflagged.json()["errors"][0]["field"] == "summary"
        no_document = await act(officer, ident, "resubmit", version, {"changes": {"fields.note": "请查询车辆"}})
        assert no_document.status_code == 422 and "执行裁定书" in no_document.text
        api.clock.set("2026-03-04")
        await upload(officer, ident, "enforcement_ruling")
        bad = await act(
            officer, ident, "resubmit", version, {"changes": {"parties[1].id_number": "110105194912310021"}}
        )
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "parties[1].id_number"
        changes = {"fields.note": "请查询被执行人名下全部车辆", "parties[1].id_number": "110101199003074477"}
        reply = "已更正身份证号码，补充执行裁定书"
        resubmitted = ok(await act(officer, ident, "resubmit", version, {"changes": changes, "comment": reply}))
        assert resubmitted["status"] == "submitted"
    async with api.sessions() as session:
        row = await session.get(DelegationRow, ident)
        assert row is not None
        assert row.fields["note"] == "请查询被执行人名下全部车辆"
        assert row.parties[1]["id_number"] == "110101199003074477" and row.parties[1]["name"] == "张三"
        events = list(
            await session.exec(select(EventRow).where(EventRow.delegation_id == ident).order_by(col(EventRow.id)))
        )
        back = next(e for e in events if e.action == "return_for_correction")
        assert back.data["flagged"] == FLAGGED
        answer = events[-1]
        assert answer.action == "resubmit" and answer.comment == reply
        assert answer.data["changed"] == ["fields.note", "parties[1].id_number"]


async def test_a_resubmission_without_changes_still_works_and_nothing_flagged_means_nothing_editable(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)
        returned = ok(
            await act(clerk, matter["id"], "return", matter["version"], {"reason_code": "other", "comment": "请核对"})
        )
        locked = await act(officer, matter["id"], "resubmit", returned["version"], {"changes": {"fields.note": "改"}})
        assert locked.status_code == 422
        ok(await act(officer, matter["id"], "resubmit", returned["version"], {}))
