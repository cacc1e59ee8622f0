"""A refused form, for someone who cannot see the red: every invalid input carries aria-invalid and is
described by its error (aria-describedby), a party row with an error of its own is described by it, and
the summary at the top (which takes the focus) links to where each error is shown."""

from __future__ import annotations

import re

from api.web import formerrors, forms
from api.web.views import FormState
from delegation.core.errors import FieldError
from tests.api.actors import Api
from tests.api.support import file_matter
from tests.web.support import csrf_of, login

_ID = re.compile(r'\sid="([^"]+)"')


def _tag(html: str, element_id: str) -> str:
    found = re.search(rf'<[a-z]+\s[^>]*\bid="{re.escape(element_id)}"[^>]*>', html)
    assert found, f"no element #{element_id}"
    return found.group(0)


def assert_wired(html: str) -> None:
    """Every id named by aria-describedby and every link of the error summary is on the page, and the
    summary is the element the page's script focuses."""
    ids = set(_ID.findall(html))
    for described in re.findall(r'aria-describedby="([^"]+)"', html):
        missing = [i for i in described.split() if i not in ids]
        assert not missing, f"aria-describedby names {missing}, not on the page"
    summary = re.search(r"<div [^>]*data-error-summary[^>]*>(.*?)</div>", html, re.S)
    assert summary and "data-focus" in summary.group(0) and 'tabindex="-1"' in summary.group(0)
    for target in re.findall(r'href="#([^"]+)"', summary.group(1)):
        assert target in ids, f"the summary links to #{target}, not on the page"


def test_an_error_goes_to_its_input_else_to_the_top_of_its_form() -> None:
    assert formerrors.place("assign_handler", "handler") == "handler"
    assert formerrors.place("complete", "documents") == "document.receipt"
    assert formerrors.place("assign_handler", "version") == ""
    assert formerrors.place("reveal:parties[1].id_number", "reason") == "reason"
    assert formerrors.input_id("reveal:parties[1].id_number", "reason") == "rv-parties-1-id_number-reason"
    state = FormState("assign_handler", errors={"handler": [FieldError("handler", "请填写承办人", "Give the handler")]})
    assert formerrors.summary(state, ["assign_handler"]) == [("a-assign_handler-handler", state.errors["handler"][0])]
    assert formerrors.summary(state, ["sign_for"])[0][0] == ""  # the form is not on the page: listed, not linked


def test_an_error_of_the_filing_form_is_shown_at_its_field_row_list_or_section() -> None:
    anchors = {"parties", "parties[1]", "parties[1].name", "fields", "fields.properties", "fields.properties[0]"}
    assert forms.anchor_of("parties[1].name", anchors) == "parties[1].name"
    assert forms.anchor_of("parties[1].role", anchors) == "parties[1]"
    assert forms.anchor_of("parties[7].name", anchors) == "parties"
    assert forms.anchor_of("fields.properties[0].unknown", anchors) == "fields.properties[0]"
    assert forms.anchor_of("fields.nope", anchors) == "fields"
    assert forms.anchor_of("Idempotency-Key", anchors) == ""


async def test_a_wrong_password_marks_both_inputs_and_an_empty_one_only_itself(api: Api) -> None:
    async with api.client() as browser:
        token = csrf_of((await browser.get("/login")).text)
        wrong = await browser.post("/login", data={"username": "shinan-officer", "password": "x", "csrf_token": token})
        assert wrong.status_code == 401
        for name in ("username", "password"):
            tag = _tag(wrong.text, name)
            assert 'aria-invalid="true"' in tag and 'aria-describedby="login-error"' in tag
        assert "autofocus" not in _tag(wrong.text, "username")  # the error summary takes the focus
        assert_wired(wrong.text)
        empty = await browser.post("/login", data={"username": "shinan-officer", "password": "", "csrf_token": token})
        assert empty.status_code == 422
        assert "aria-invalid" not in _tag(empty.text, "username") and "aria-invalid" in _tag(empty.text, "password")


async def test_a_party_row_carries_its_own_error_and_the_summary_links_to_it(api: Api) -> None:
    async with api.client() as browser:
        token = await login(browser, "shinan-officer")
        response = await browser.post(
            "/delegations/new",
            data={
                "csrf_token": token,
                "matter_type": "vehicle_inquiry",
                "case_number": "(2026)鲁0202执1号",
                "assisting_court": "鲁0602",
                "parties[0].role": "applicant",
                "parties[0].party_type": "natural_person",
                "parties[0].name": "李四",
                "parties[1].role": "nobody",  # no such role: an error about the row, not about one input
                "parties[1].party_type": "natural_person",
                "parties[1].name": "王五",
                "do": "save",
            },
        )
        assert response.status_code == 422
        page = response.text
        row = _tag(page, "f-parties-1")
        assert "has-error" in row and 'aria-describedby="f-parties-1-err1"' in row and "aria-invalid" not in row
        assert re.search(r'id="f-parties-1-err1">第2名当事人[^<]*：请选择当事人身份', page)
        assert 'href="#f-parties-1"' in page  # the summary links to the row
        assert re.search(r'id="f-parties-err1">至少需要1名被执行人', page) and 'href="#f-parties"' in page
        assert_wired(page)


async def test_an_action_forms_error_is_tied_to_its_input_and_listed_in_the_summary(api: Api) -> None:
    async with api.client() as browser, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)
        token = await login(browser, "zhifu-clerk")
        ident, version = matter["id"], matter["version"]
        await browser.post(f"/delegations/{ident}/act/sign_for", data={"csrf_token": token, "version": version})
        empty = await browser.post(
            f"/delegations/{ident}/act/assign_handler", data={"csrf_token": token, "version": version + 1}
        )
        assert empty.status_code == 422
        handler = _tag(empty.text, "a-assign_handler-handler")
        assert 'aria-invalid="true"' in handler and 'aria-describedby="a-assign_handler-handler-err1"' in handler
        assert 'href="#a-assign_handler-handler"' in empty.text
        assert_wired(empty.text)
        message = await browser.post(f"/delegations/{ident}/messages", data={"csrf_token": token, "text": " "})
        assert message.status_code == 422
        assert 'aria-invalid="true"' in _tag(message.text, "msg-text") and 'href="#msg-text"' in message.text
        assert_wired(message.text)


async def test_an_empty_acknowledgement_is_tied_to_the_reply_and_listed_in_the_summary(api: Api) -> None:
    async with api.client() as center, api.client() as clerk, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)
        api.clock.set("2026-03-10")
        center_token = await login(center, "yantai-center")
        await center.post(
            f"/delegations/{matter['id']}/notices", data={"csrf_token": center_token, "kind": "supervise"}
        )
        token = await login(clerk, "zhifu-clerk")
        notice_id = re.search(r'href="/notices/(\d+)"', (await clerk.get("/notices?pending=1")).text)
        assert notice_id
        empty = await clerk.post(f"/notices/{notice_id.group(1)}/acknowledge", data={"csrf_token": token, "reply": ""})
        assert empty.status_code == 422
        reply = _tag(empty.text, "ack-reply")
        assert 'aria-invalid="true"' in reply and 'aria-describedby="ack-reply-err1"' in reply
        assert 'href="#ack-reply"' in empty.text
        assert_wired(empty.text)


async def test_a_second_supervision_asks_for_its_confirmation_at_the_checkbox(api: Api) -> None:
    async with api.client() as center, api.client("shinan-officer") as officer:
        matter = await file_matter(officer)
        api.clock.set("2026-03-10")
        token = await login(center, "yantai-center")
        path = f"/delegations/{matter['id']}/notices"
        await center.post(path, data={"csrf_token": token, "kind": "supervise"})
        again = await center.post(path, data={"csrf_token": token, "kind": "supervise"})
        assert again.status_code == 422
        box = _tag(again.text, "n-confirm_repeat")
        assert 'aria-invalid="true"' in box and 'aria-describedby="n-confirm_repeat-err1"' in box
        assert 'href="#n-confirm_repeat"' in again.text
        assert_wired(again.text)
