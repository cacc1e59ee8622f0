"""An action's answer is the matter as it is after the action: a submit builds its answer from the clocks it
wrote (a draft has none before it) instead of reading them back; that answer is the one a read gives."""

from __future__ import annotations

from api.schemas import DelegationOut
from tests.api.actors import Api
from tests.api.support import file_matter, ok


async def test_a_submits_answer_is_the_matter_as_read_back(api: Api) -> None:
    async with api.client("shinan-officer") as officer:
        submitted = await file_matter(officer)
        read = ok(await officer.get(f"/api/v1/delegations/{submitted['id']}"))
    assert submitted["clock"] is not None and submitted["clock"]["stage"] == "sign_for"
    assert submitted["statutory_breach"] is False
    assert {k: read[k] for k in DelegationOut.model_fields} == submitted
