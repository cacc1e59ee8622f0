"""The page states no story walks through, as their users see them, checked for accessibility in both
languages (tests/e2e/accessibility.py); then the rule that every page of the app has been checked.

A new page: give it a story step that calls `person.check(...)` (or `person.shot(...)`), or a Visit in TOUR.
The coverage test runs after every other browser test and names the pages nobody checked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlmodel import col, select
from starlette.routing import Match

from delegation.store.db import make_engine, make_sessionmaker
from delegation.store.tables import DelegationRow, ExtensionRow
from jiaodong.demo.seeder import DEMO_COURTS
from tests.e2e.accessibility import CHECKED, SERVED_APPS, audit, pinned_version
from tests.e2e.conftest import LiveServer, run_async
from tests.e2e.support import OPEN_ALL, Person

# GET routes of the web app that are not pages.
NOT_PAGES = {
    "/": "redirects to the user's home page",
    "/lang/{locale}": "sets the language cookie and redirects back",
    "/web/check/case-number": "JSON for the filing form's script",
    "/metrics": "Prometheus metrics for monitoring",
    "/work/export.{fmt}": "a work list as .xlsx or CSV (checked by the statistics story and tests/web)",
    "/notices/export.{fmt}": "the notices as .xlsx or CSV",
    "/stats/export.{fmt}": "a statistics table as .xlsx or CSV",
    "/stats/reports/{month}.xlsx": "a monthly report's workbook",
    "/wall/data.json": "JSON the wall screen's script polls every minute",
    "/inbox/{item_id}/open": "marks an inbox item read and redirects to its matter or notice",
}
LANGUAGES = {"zh_CN", "en"}


@dataclass(frozen=True)
class Visit:
    """A page state: who looks (a demo username, or officer/clerk/center of the matter), where, and a
    script run before checking. `{status}` in the path is a demo matter in that status, `{extension}` one
    with an extension waiting for the command center."""

    who: str
    path: str
    state: str
    prepare: str = ""


TOUR = [
    Visit("shinan-officer", "/work?view=outbox", "work-sent-by-us"),
    Visit("shinan-officer", "/work?view=all&sort=due&lateness=due_soon", "work-all-due-soon"),
    Visit("shinan-officer", "/notices?pending=1", "notices-to-acknowledge"),
    Visit("shinan-officer", "/inbox", "inbox-message-center"),
    Visit("zhifu-clerk", "/inbox?unread=1&topic=transition", "inbox-unread-filtered"),
    Visit("shinan-officer", "/delegations/new?matter_type=real_estate_seal", "new-form-with-a-list-field"),
    Visit("shinan-officer", "/delegations/2147483000", "not-found"),
    Visit("zhifu-clerk", "/work", "work-waiting-on-us"),
    Visit("zhifu-clerk", "/work?view=inbox&sort=oldest", "work-assisted-by-us"),
    Visit("yantai-center", "/work?view=all", "work-all-matters-center"),
    Visit("yantai-center", "/notices?kind=supervise", "notices-supervision"),
    Visit("regional", "/dashboard?city=yantai", "dashboard-regional-one-city"),
    Visit("admin", "/admin/users", "admin-users-of-the-court"),
    Visit("officer", "/delegations/{draft}", "draft", OPEN_ALL),
    Visit("officer", "/delegations/{draft}/edit", "edit-draft"),
    Visit("clerk", "/delegations/{submitted}", "to-sign-for-or-return", OPEN_ALL),
    Visit("officer", "/delegations/{returned}", "returned-for-correction", OPEN_ALL),
    Visit("center", "/delegations/{declined}", "declined-to-redirect", OPEN_ALL),
    Visit("clerk", "/delegations/{in_progress}", "in-progress", OPEN_ALL),
    Visit("clerk", "/delegations/{scheduled}", "scheduled", OPEN_ALL),
    Visit("center", "/delegations/{extension}", "extension-to-decide", OPEN_ALL),
    Visit("officer", "/delegations/{completed}", "completed-to-confirm", OPEN_ALL),
    Visit("officer", "/delegations/{withdrawn}", "withdrawn"),
    Visit("clerk", "/print/delegations/{in_progress}/progress", "print-progress-report"),
    Visit("clerk", "/print/delegations/{completed}/service-return", "print-proof-of-service"),
]


async def _demo_matters(server: LiveServer) -> dict[str, DelegationRow]:
    """The first demo matter in each status, and one with an extension waiting for the command center."""
    engine = make_engine(server.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = (await session.exec(select(DelegationRow).order_by(col(DelegationRow.id)))).all()
            found: dict[str, DelegationRow] = {}
            for row in rows:
                found.setdefault(row.status, row)
            waiting = select(ExtensionRow.delegation_id).where(ExtensionRow.status == "pending")
            extension = (await session.exec(waiting)).first()
            found["extension"] = next(r for r in rows if r.id == extension)
            return found
    finally:
        await engine.dispose()


def _user(who: str, matter: DelegationRow | None) -> str:
    if matter is None:
        return who
    prefix = {basic: prefix for prefix, basic, _center, _city in DEMO_COURTS}
    city = {basic: city for _prefix, basic, _center, city in DEMO_COURTS}
    return {
        "officer": f"{prefix[matter.requesting_court]}-officer",
        "clerk": f"{prefix[matter.assisting_court]}-clerk",
        "center": f"{city[matter.assisting_court]}-center",
    }[who]


def test_the_pages_no_story_visits_are_accessible_in_both_languages(browser: Any, live_server: LiveServer) -> None:
    matters = run_async(lambda: _demo_matters(live_server))
    by_user: dict[str, list[tuple[str, Visit]]] = defaultdict(list)
    for visit in TOUR:
        key = visit.path.split("{", 1)[1].split("}", 1)[0] if "{" in visit.path else ""
        matter = matters[key] if key else None
        path = visit.path.replace("{" + key + "}", str(matter.id)) if matter else visit.path
        by_user[_user(visit.who, matter)].append((path, visit))
    for username, visits in by_user.items():
        person = Person.open(browser, live_server, username)
        person.login()
        for path, visit in visits:
            person.goto(path)
            person.check(visit.state, prepare=visit.prepare)
        person.assert_clean()
        person.close()


def test_the_check_fails_on_low_contrast_and_on_an_error_tied_to_nothing(browser: Any) -> None:
    """The check itself: a page with grey-on-white text and an invalid input whose error is not its
    description is not clean (so a clean report means something)."""
    page = browser.new_page()
    try:
        page.set_content(
            '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
            '<p style="color:#aaa">faint</p><div class="field"><label for="x">Name</label>'
            '<input id="x" aria-invalid="true"><p class="error">Give a name</p></div></main></body></html>'
        )
        problems = audit(page)
    finally:
        page.close()
    assert any(p.startswith("axe color-contrast") for p in problems), problems
    assert "x is aria-invalid but described by no error text" in problems
    assert 'the error "Give a name" describes no input or group' in problems


def _api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every APIRoute of the app, also inside included routers (FastAPI keeps those as one route each)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _api_routes(inner.routes)
        elif isinstance(route, APIRoute):
            yield route


def _page_routes(app: Any) -> list[APIRoute]:
    return [
        r
        for r in _api_routes(app.routes)
        if "GET" in r.methods and not r.include_in_schema and not r.path.startswith("/api/") and r.path not in NOT_PAGES
    ]


def _route_of(routes: list[APIRoute], path: str) -> str | None:
    scope = {"type": "http", "method": "GET", "path": path.split("?")[0]}
    return next((r.path for r in routes if r.matches(scope)[0] is Match.FULL), None)


@pytest.mark.after_all_stories
def test_every_page_of_the_app_is_checked_in_both_languages(request: pytest.FixtureRequest) -> None:
    ran = {Path(str(item.fspath)).name for item in request.session.items}
    every = {p.name for p in Path(__file__).parent.glob("test_*.py")}
    if not every <= ran:
        pytest.skip(f"needs the whole of tests/e2e (this run has {sorted(ran & every)})")
    assert SERVED_APPS, "no browser test served the app"
    routes = _page_routes(SERVED_APPS[-1])
    languages: dict[str, set[str]] = defaultdict(set)
    for state in CHECKED:
        route = _route_of(routes, state.path)
        if route:
            languages[route].add(state.language)
    missing = {r.path: sorted(LANGUAGES - languages[r.path]) for r in routes if languages[r.path] != LANGUAGES}
    assert not missing, (
        f"pages not checked by axe {pinned_version()} (and in which languages): {missing}; give each a story "
        "step calling person.check() or a Visit in TOUR (tests/e2e/test_tour.py); a GET route that is no page "
        "(JSON, a redirect) goes in NOT_PAGES"
    )
    assert len(CHECKED) >= 2 * len(routes)
