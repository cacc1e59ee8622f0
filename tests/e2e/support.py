"""A person at a browser: their own context (cookies), a page, screenshots, a watch on console errors
(a Content-Security-Policy violation shows up there) and the accessibility check of every page state.

In a story: `person.check("what the page shows now")` after every step that shows something new (axe in
both languages, see tests/e2e/accessibility.py); `person.shot(name)` checks the state it photographs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.accessibility import CHECKED, CheckedState, audit, focus_problems
from tests.e2e.conftest import ARTIFACTS, PASSWORD, LiveServer

# Sticky bars are drawn where the viewport ended in a full-page screenshot; unstick them for the picture
# (by script: an injected style would itself be refused by the page's Content-Security-Policy).
UNSTICK = "document.querySelectorAll('.sticky').forEach(e => e.classList.remove('sticky'))"
DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 820, "height": 1180}
LANG_COOKIE = "jd_lang"
OPEN_ALL = "() => document.querySelectorAll('details').forEach(d => { d.open = true; })"
LOCALE_OF_LANG = {"zh-CN": "zh_CN", "en": "en"}
OTHER_LOCALE = {"zh_CN": "en", "en": "zh_CN"}


def _is_problem(kind: str, text: str) -> bool:
    """Console errors that mean a broken page: script errors and refused inline code or style (CSP).
    A form answered with 4xx (shown to the user as field errors) is logged too, and is not one."""
    return kind == "error" and not text.startswith("Failed to load resource")


@dataclass
class Person:
    server: LiveServer
    username: str
    context: Any
    page: Any
    errors: list[str] = field(default_factory=list)
    document: Any = None  # the request that brought the page's current document (followed for check())
    viewport: dict[str, int] = field(default_factory=lambda: DESKTOP)
    _twin: tuple[Any, Any] | None = None  # (context, page) showing the same pages in the other language

    @classmethod
    def open(cls, browser: Any, server: LiveServer, username: str, viewport: dict[str, int] = DESKTOP) -> Person:
        context, page = _open_page(browser, viewport)
        person = cls(server, username, context, page, viewport=viewport)
        person._watch(page, "")
        page.on("request", person._follow)
        return person

    def _watch(self, page: Any, label: str) -> None:
        page.on("console", lambda m: self.errors.append(label + m.text) if _is_problem(m.type, m.text) else None)
        page.on("pageerror", lambda e: self.errors.append(label + str(e)))

    def _follow(self, request: Any) -> None:
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.document = request

    def url(self, path: str) -> str:
        return self.server.base_url + path

    def goto(self, path: str) -> Any:
        return self.page.goto(self.url(path))

    def visit(self, path: str) -> None:
        """Go to a page, logging in again first if the 12-hour session has ended (the clock moves on)."""
        self.goto(path)
        if "/login" in self.page.url:
            self.login()
            self.page.wait_for_url("**" + path)

    def login(self, expect_home: str | None = None) -> None:
        page = self.page
        if "/login" not in page.url:
            self.goto("/login")
        page.fill("#username", self.username)
        page.fill("#password", PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_load_state()
        assert "/login" not in page.url, page.content()[:2000]
        if expect_home:
            assert page.url.split("?")[0].endswith(expect_home), page.url

    def check(self, state: str, prepare: str = "") -> None:
        """Fail on any accessibility problem of the page as it is now (axe on WCAG 2.0/2.1 A and AA, and the
        wiring of form errors), then of the same page in the other language: the request that brought this
        document sent again from a twin browser context with the same cookies (a failed form is posted
        again; it wrote nothing the first time). `prepare` is a script run on both first (OPEN_ALL opens
        every folded section). Both are recorded in accessibility.CHECKED."""
        page = self.page
        page.wait_for_load_state()
        if prepare:
            page.evaluate(prepare)
        locale = LOCALE_OF_LANG.get(str(page.locator("html").get_attribute("lang")), "zh_CN")
        problems = audit(page)
        self._record(state, page.url, locale, problems, "as seen")
        other = OTHER_LOCALE[locale]
        found, how = self._check_twin(page.url, other, prepare)
        self._record(state, page.url, other, found, how)
        report = [f"[{locale}] {p}" for p in problems] + [f"[{other}, {how}] {p}" for p in found]
        assert not report, f"accessibility of {state!r} ({page.url}) for {self.username}:\n" + "\n".join(report)

    def assert_error_summary_focused(self) -> None:
        """A refused form: the summary of its errors has the focus (read out first, Tab goes on to the form)."""
        self.page.wait_for_load_state()
        focused = self.page.evaluate("() => !!document.activeElement?.hasAttribute('data-error-summary')")
        assert focused, f"the error summary does not have the focus on {self.page.url}"

    def _record(self, state: str, url: str, locale: str, problems: list[str], how: str) -> None:
        path = "/" + url.split("://", 1)[-1].split("/", 1)[-1].split("#")[0]
        CHECKED.append(CheckedState(state, self.username, path, locale, len(problems), how))

    def _check_twin(self, url: str, locale: str, prepare: str) -> tuple[list[str], str]:
        if self._twin is None:
            self._twin = _open_page(self.context.browser, self.viewport)
            self._watch(self._twin[1], "[other language] ")
        context, page = self._twin
        context.clear_cookies()
        context.add_cookies(
            [c for c in self.context.cookies() if c["name"] != LANG_COOKIE]
            + [{"name": LANG_COOKIE, "value": locale, "url": self.server.base_url}]
        )
        address = url.split("#")[0]
        sent = self.document
        if sent is not None and sent.method == "POST" and sent.url == address:
            response = sent.response()
            if response is None or response.status < 400:
                return ["a page answering a successful form cannot be checked again in the other language"], "-"
            # The same form once more, from the twin (same session, same CSRF token): refused again.
            again = context.request.fetch(
                address,
                method="POST",
                headers={"content-type": sent.all_headers().get("content-type", "")},
                data=sent.post_data_buffer,
                max_redirects=0,
            )
            page.route(lambda u: u.split("#")[0] == address, lambda route: route.fulfill(response=again))
            try:
                page.goto(url)
            finally:
                page.unroute_all()
            how = "form sent again"
        else:
            page.goto(url)
            how = "loaded again"
        problems = focus_problems(page)  # before `prepare`, which may move the focus
        if prepare:
            page.evaluate(prepare)
        return problems + audit(page), how

    def shot(self, name: str, full_page: bool = True, check: bool = True) -> Path:
        """A screenshot (of the whole page, or of what is on screen) to test-artifacts/e2e/<name>.png, after
        checking the accessibility of what it shows."""
        if check:
            self.check(name)
        path = ARTIFACTS / f"{name}.png"
        if full_page:
            self.page.evaluate(UNSTICK)
        self.page.screenshot(path=str(path), full_page=full_page)
        self.server.shots.append(name)
        return path

    def close(self) -> None:
        if self._twin is not None:
            self._twin[0].close()
        self.context.close()

    def assert_clean(self) -> None:
        assert not self.errors, f"browser console errors for {self.username}: {self.errors}"


def _open_page(browser: Any, viewport: dict[str, int]) -> tuple[Any, Any]:
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    return context, context.new_page()
