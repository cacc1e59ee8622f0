"""The search box over HTTP, on SQLite and PostgreSQL: the platform number printed on every document, the 案号
in any width or in part, a party's name, the handler."""

from __future__ import annotations

from delegation.reading.delegations import text_variants
from tests.api.actors import Api
from tests.api.support import act, file_matter, ok
from tests.api.test_handlers import add_handlers


def test_a_search_text_is_tried_as_typed_in_half_width_and_with_the_stored_brackets() -> None:
    assert text_variants(" ｊｄ２０２６－００００００１ ") == ["ｊｄ２０２６－００００００１", "jd2026-0000001"]
    assert text_variants("(2026)鲁0202执100号") == ["(2026)鲁0202执100号", "（2026）鲁0202执100号"]
    assert text_variants("执100号") == ["执100号"]


async def test_the_search_box_finds_by_number_case_number_party_and_handler(api: Api) -> None:
    await add_handlers(api)
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        first = await file_matter(officer)
        second = await file_matter(officer, case_number="（2026）鲁0202执101号")
        ok(await act(clerk, second["id"], "sign-for", second["version"], {"handler": "zhifu-wang"}))

        async def found(q: str) -> list[int]:
            return [d["id"] for d in ok(await officer.get("/api/v1/delegations", params={"q": q}))["items"]]

        assert await found(first["number"]) == [first["id"]]
        assert await found(first["number"].lower()) == [first["id"]]
        assert await found(second["number"][-4:]) == [second["id"]]  # the end of the number, as read out
        assert await found("(2026)鲁0202执101号") == [second["id"]]  # half-width brackets
        assert await found("（２０２６）鲁０２０２执１００号") == [first["id"]]  # full-width digits
        assert await found("执10") == [second["id"], first["id"]]  # part of it, newest first
        assert await found("王法官") == [second["id"]]
        assert await found("zhifu-wang") == [second["id"]]
        assert await found("JD2099") == []
