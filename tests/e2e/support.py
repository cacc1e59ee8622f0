"""A person at a browser: their own context (cookies), a page, screenshots and a watch on console errors
(a Content-Security-Policy violation shows up there)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.conftest import ARTIFACTS, PASSWORD, LiveServer

# Sticky bars are drawn where the viewport ended in a full-page screenshot; unstick them for the picture
# (by script: an injected style would itself be refused by the page's Content-Security-Policy).
UNSTICK = "document.querySelectorAll('.sticky').forEach(e => e.classList.remove('sticky'))"
DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 820, "height": 1180}


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

    @classmethod
    def open(cls, browser: Any, server: LiveServer, username: str, viewport: dict[str, int] = DESKTOP) -> Person:
        context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(10_000)
        page = context.new_page()
        person = cls(server, username, context, page)
        page.on("console", lambda m: person.errors.append(m.text) if _is_problem(m.type, m.text) else None)
        page.on("pageerror", lambda e: person.errors.append(str(e)))
        return person

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

    def shot(self, name: str, full_page: bool = True) -> Path:
        """A screenshot (of the whole page, or of what is on screen) to test-artifacts/e2e/<name>.png."""
        path = ARTIFACTS / f"{name}.png"
        if full_page:
            self.page.evaluate(UNSTICK)
        self.page.screenshot(path=str(path), full_page=full_page)
        self.server.shots.append(name)
        return path

    def close(self) -> None:
        self.context.close()

    def assert_clean(self) -> None:
        assert not self.errors, f"browser console errors for {self.username}: {self.errors}"
