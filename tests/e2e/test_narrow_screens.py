"""The main pages on a phone (390×844): nothing makes the page scroll sideways, tables scroll inside their own
box instead of squeezing their columns, and the command center's 催办/督办 are on screen without scrolling
sideways. Measured in the page (widths, lines, positions), not by pixels of a screenshot.

A reviewer found them broken at 390 and 768 px: the work list's 状态 column 75 px wide with rows 250-410 px
tall, court names one character a line in the statistics, the dashboard's buttons beyond the edge of a
sideways-scrolling box and the whole dashboard 466 px wide (a visually hidden header escaping its box).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from delegation.store.db import make_engine, make_sessionmaker
from delegation.store.tables import DelegationRow
from tests.e2e.conftest import LiveServer, run_async
from tests.e2e.support import Person

PHONE = {"width": 390, "height": 844}

# The document is no wider than the screen; what does not fit says which element sticks out.
NO_SIDEWAYS = """() => {
  const d = document.documentElement, w = d.clientWidth, out = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect(), up = el.parentElement && el.parentElement.getBoundingClientRect();
    if (r.width > 0 && r.right > w + 0.5 && (!up || up.right <= w + 0.5)) out.push(`${el.tagName}.${el.className}`);
  }
  return { scroll: d.scrollWidth, client: w, out: out.slice(0, 5) };
}"""

# Every list table sits in its own sideways-scrolling box; its cells' widths, its rows' heights. (The dashboard's
# overdue and due-soon lists stack each row on a phone instead: checked on their own below.)
TABLES = """() => [...document.querySelectorAll("table.list:not(.watch)")].map(t => {
  const box = t.closest(".table-scroll");
  return {
    where: (t.closest("section, details")?.querySelector("h2, summary")?.textContent || "").trim(),
    boxed: !!box,
    scrolls: box ? box.scrollWidth > box.clientWidth : false,
    narrowest: Math.min(...[...t.tBodies].flatMap(b => [...b.rows]).flatMap(r => [...r.cells])
      .filter(c => !c.classList.contains("tick") && c.colSpan === 1).map(c => c.getBoundingClientRect().width)),
    tallest: Math.max(0, ...[...t.tBodies].flatMap(b => [...b.rows]).map(r => r.getBoundingClientRect().height)),
  };
})"""

# How many lines an element's text takes.
LINES = """(el) => { const range = document.createRange(); range.selectNodeContents(el);
  return new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size; }"""

# A button a person can tap: inside the screen's width and not covered or clipped at its middle.
TAPPABLE = """(el) => { const r = el.getBoundingClientRect(), w = document.documentElement.clientWidth;
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return { left: r.left, right: r.right, width: w, hit: !!hit && (hit === el || el.contains(hit)) }; }"""

PAGES = {
    "zhifu-clerk": ["/work", "/work?view=inbox", "/notices", "/inbox", "/stats"],
    "shinan-officer": ["/work", "/work?view=outbox", "/notices", "/delegations/new", "/stats"],
    "yantai-center": ["/dashboard", "/stats", "/work?view=all", "/work?view=all&lateness=overdue", "/notices"],
    "regional": ["/dashboard", "/dashboard?city=烟台", "/stats", "/work?view=all"],
}


def _phone(browser: Any, server: LiveServer, username: str) -> Person:
    person = Person.open(browser, server, username, viewport=PHONE)
    person.login()
    return person


def _no_sideways_scroll(person: Person, path: str) -> None:
    found = person.page.evaluate(NO_SIDEWAYS)
    assert found["scroll"] <= found["client"], f"{path} for {person.username} at 390 px: {found}"


def _tables_scroll_not_squeeze(person: Person, path: str) -> list[dict[str, Any]]:
    tables: list[dict[str, Any]] = person.page.evaluate(TABLES)
    for t in tables:
        assert t["boxed"], f"{path}: the table of {t['where']!r} has no sideways-scrolling box"
        if t["narrowest"] != float("inf"):  # a table with rows
            assert t["narrowest"] >= 84, f"{path}: a column of {t['where']!r} squeezed to {t['narrowest']} px"
    return tables


def _lines(locator: Any) -> int:
    return int(locator.evaluate(LINES))


def _tappable(locator: Any) -> dict[str, Any]:
    locator.scroll_into_view_if_needed()
    found: dict[str, Any] = locator.evaluate(TAPPABLE)
    return found


async def _matter_with_results(server: LiveServer) -> list[int]:
    """The demo's vehicle inquiries from 东港区 to 芝罘区 (one has a recorded result)."""
    engine = make_engine(server.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            query = select(DelegationRow.id).where(
                DelegationRow.requesting_court == "鲁1102",
                DelegationRow.assisting_court == "鲁0602",
                DelegationRow.matter_type == "vehicle_inquiry",
            )
            return [int(i) for i in (await session.exec(query.order_by(col(DelegationRow.id)))).all() if i]
    finally:
        await engine.dispose()


def test_no_main_page_scrolls_sideways_on_a_phone(browser: Any, live_server: LiveServer) -> None:
    for username, paths in PAGES.items():
        person = _phone(browser, live_server, username)
        for path in paths:
            person.goto(path)
            person.page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
            _no_sideways_scroll(person, path)
            _tables_scroll_not_squeeze(person, path)
        person.assert_clean()
        person.close()


def test_the_command_centers_urge_and_supervise_are_on_a_phones_screen(browser: Any, live_server: LiveServer) -> None:
    for username in ("yantai-center", "regional"):
        person = _phone(browser, live_server, username)
        page = person.page
        person.goto("/dashboard")
        _no_sideways_scroll(person, "/dashboard")
        for section in ("#s-overdue", "#s-soon"):
            lists = page.locator(section).locator("xpath=..").locator("table.watch")
            assert lists.count() == 1, f"{username}: no list of {section} on the dashboard"
            box = lists.locator("xpath=..")
            assert box.evaluate("b => b.scrollWidth <= b.clientWidth"), f"{username}: {section} scrolls sideways"
            buttons = lists.locator("button")
            assert buttons.count() > 0, f"{username}: no 催办 in {section}"
            for i in range(buttons.count()):
                at = _tappable(buttons.nth(i))
                assert at["left"] >= 0 and at["right"] <= at["width"] and at["hit"], f"{username} {section}: {at}"
            # The deadline is read beside the matter, on screen too.
            for badge in lists.locator("td.w-deadline .badge").all():
                at = _tappable(badge)
                assert at["left"] >= 0 and at["right"] <= at["width"], f"{username} {section}: deadline {at}"
        if username == "yantai-center":
            person.check("dashboard-on-a-phone")
            # The 督办 works from the phone (a confirmation first), and the notice reaches the court.
            page.once("dialog", lambda dialog: dialog.accept())
            page.locator("table.watch").first.get_by_role("button", name="督办").first.click()
            page.wait_for_url("**/dashboard?ok=notice_issued")
            _no_sideways_scroll(person, "/dashboard?ok=notice_issued")
        person.assert_clean()
        person.close()

    # The clerk's notices: the court a notice went to reads a few characters a line, and the last column is
    # reached by scrolling the table's own box.
    clerk = _phone(browser, live_server, "zhifu-clerk")
    clerk.goto("/notices")
    page = clerk.page
    rows = page.locator("table.list tbody tr")
    assert rows.count() > 0
    assert page.locator("table.list td.name").first.evaluate("c => c.getBoundingClientRect().width") >= 120
    box = page.locator("table.list").locator("xpath=..")
    box.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
    last = page.locator("table.list thead th").last
    inside = "th => th.getBoundingClientRect().right <= th.closest('.table-scroll').getBoundingClientRect().right + 1.5"
    assert last.evaluate(inside), "the last column cannot be scrolled into view"
    assert box.get_attribute("data-more") == "left"  # scrolled to the end: more only to the left
    clerk.check("notices-on-a-phone")
    clerk.assert_clean()
    clerk.close()


def test_a_clerks_list_and_matter_keep_their_columns_readable_on_a_phone(browser: Any, live_server: LiveServer) -> None:
    clerk = _phone(browser, live_server, "zhifu-clerk")
    page = clerk.page
    clerk.goto("/work")
    tables = _tables_scroll_not_squeeze(clerk, "/work")
    assert tables[0]["scrolls"], "the work list squeezes into the screen instead of scrolling"
    assert tables[0]["tallest"] < 250, f"a row of the work list is {tables[0]['tallest']} px tall"
    assert page.locator("td.state").first.evaluate("c => c.getBoundingClientRect().width") >= 200
    for cell in page.locator("td.code a, td.when").all()[:8]:
        assert _lines(cell) == 1, f"{cell.inner_text()!r} breaks over lines"
    assert page.locator(".table-scroll").first.get_attribute("data-more") == "right"
    clerk.check("work-list-on-a-phone")

    # A matter with its documents and results: both tables in their own box, the asset (a plate, 车辆 1) on one line.
    for ident in run_async(lambda: _matter_with_results(live_server)):
        clerk.goto(f"/delegations/{ident}")
        if page.locator("#s-results").count():
            break
    else:
        raise AssertionError("no demo matter of 芝罘区 with a recorded result")
    _no_sideways_scroll(clerk, page.url)
    _tables_scroll_not_squeeze(clerk, page.url)
    results = page.locator("#s-results").locator("xpath=..")
    assert _lines(results.locator("tbody td").first) == 1, "the result's asset breaks over two lines"
    documents = page.locator("#s-docs").locator("xpath=..")
    for cell in documents.locator("td.when").all():
        assert _lines(cell) == 1
    clerk.check("delegation-on-a-phone")
    clerk.assert_clean()
    clerk.close()


def test_the_statistics_read_on_a_phone(browser: Any, live_server: LiveServer) -> None:
    center = _phone(browser, live_server, "yantai-center")
    page = center.page
    center.goto("/stats")
    _no_sideways_scroll(center, "/stats")
    _tables_scroll_not_squeeze(center, "/stats")
    for th in page.locator(".stats-table tbody th[scope=row]").all():
        assert th.evaluate("c => c.getBoundingClientRect().width") >= 120, th.inner_text()
    for month in page.locator("[data-testid=table-trend] tbody th[scope=row]").all():
        assert _lines(month) == 1, f"the month {month.inner_text()!r} wraps"
    # Each definition under its term, across the card.
    under = "t => [t.getBoundingClientRect().left, t.nextElementSibling.getBoundingClientRect().left]"
    for term in page.locator(".definitions dt").all():
        lefts = term.evaluate(under)
        assert abs(lefts[0] - lefts[1]) < 1, lefts
    # The trend chart: its legend on one scrolling line under the plot, its month labels thinned out.
    option = (
        page.locator("#s-trend")
        .locator("xpath=..")
        .locator(".chart")
        .evaluate(
            "el => { const o = echarts.getInstanceByDom(el).getOption();"
            " return { legend: o.legend[0].type, bottom: o.legend[0].bottom, top: o.legend[0].top,"
            " hide: o.xAxis[0].axisLabel.hideOverlap, interval: o.xAxis[0].axisLabel.interval }; }"
        )
    )
    assert option["legend"] == "scroll" and option["bottom"] == 0 and option["hide"] is True, option
    assert option["interval"] == "auto", option
    center.check("statistics-on-a-phone")
    center.assert_clean()
    center.close()
