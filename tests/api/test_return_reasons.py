"""What a return for correction may give as its reason: what the requesting court must correct. "The matter
cannot be done" is not one (民诉法 第二百四十条 不得拒绝; 规定 第二条 应当积极予以协助): such a matter is answered with
its results (not_found, failed), so the API, the rule, the page's labels and docs/api.md all leave it out."""

from __future__ import annotations

import re
from pathlib import Path

from api.schemas import ReturnReason
from api.web import labels
from delegation.handling.rules import RESULT_OUTCOMES, RETURN_REASONS
from tests.api.actors import Api
from tests.api.support import act, file_matter, ok

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def documented_return_reasons() -> list[str]:
    row = next(line for line in API_DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| `return` |"))
    found = re.search(r"`reason_code` \(([^)]*)\)", row)
    assert found, row
    return [code.strip() for code in found.group(1).split(",")]


def test_the_docs_the_api_the_rule_and_the_labels_name_the_same_return_reasons() -> None:
    assert documented_return_reasons() == list(RETURN_REASONS)
    assert [r.value for r in ReturnReason] == list(RETURN_REASONS)
    assert list(labels.RETURN_REASON) == list(RETURN_REASONS)
    assert "not_executable" not in labels.RETURN_REASON
    assert {"not_found", "failed"} <= set(RESULT_OUTCOMES)  # how a matter that cannot be done is answered


async def test_not_executable_is_refused_as_a_return_reason_and_each_documented_reason_is_accepted(api: Api) -> None:
    async with api.client("shinan-officer") as officer, api.client("zhifu-clerk") as clerk:
        matter = await file_matter(officer)
        body = {"reason_code": "not_executable", "comment": "无法办理"}
        refused = await act(clerk, matter["id"], "return", matter["version"], body)
        assert refused.status_code == 422 and refused.json()["code"] == "validation_failed"
        assert [e["field"] for e in refused.json()["errors"]] == ["reason_code"]
        after = ok(await clerk.get(f"/api/v1/delegations/{matter['id']}"))
        assert (after["status"], after["version"]) == ("submitted", matter["version"])
        for reason in documented_return_reasons():
            matter = await file_matter(officer)
            body = {"reason_code": reason, "comment": "请补正"}
            returned = ok(await act(clerk, matter["id"], "return", matter["version"], body))
            assert returned["status"] == "returned", reason
