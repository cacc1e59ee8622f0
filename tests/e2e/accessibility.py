"""The accessibility check of the browser stories: axe-core (vendored from npm, tests only) on a page as it
is now, failing on any violation of WCAG 2.0/2.1 A and AA, plus the wiring of form errors that axe does not
look at (every invalid input described by its error, every error described to an input or a group, every
link of an error summary pointing at something on the page).

Stories call `Person.check(state)` (tests/e2e/support.py; `Person.shot` calls it too), which runs this on
the page in its language and on the same page in the other language; every checked state is recorded in
`CHECKED`, and tests/e2e/test_tour.py fails when a page of the app was never checked.
Refresh axe-core with scripts/refresh-axe.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

VENDOR = Path(__file__).resolve().parent / "vendor" / "axe-core"
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

# Runs axe on the whole document with only the rules of those tags; the passes are not collected (faster).
_RUN = """async (tags) => {
  const result = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => ({ target: n.target.join(" "), summary: n.failureSummary || "" })),
    count: v.nodes.length,
  }));
}"""

# What axe cannot know: that an error message belongs to the input it is about.
_ERROR_WIRING = """() => {
  const problems = [];
  const shown = el => el && !el.hidden && !el.closest("template, [hidden]");
  const name = el => el.id || el.getAttribute("name") || el.tagName.toLowerCase();
  for (const el of document.querySelectorAll('[aria-invalid="true"]')) {
    if (!shown(el)) continue;
    const ids = (el.getAttribute("aria-describedby") || "").split(/\\s+/).filter(Boolean);
    const described = ids.map(id => document.getElementById(id)).filter(e => shown(e) && e.textContent.trim());
    if (!described.length) problems.push(`${name(el)} is aria-invalid but described by no error text`);
  }
  for (const p of document.querySelectorAll(".field .error, fieldset.row-item .error, fieldset.list-field .error")) {
    if (!shown(p) || !p.textContent.trim()) continue;
    if (!p.id || !document.querySelector(`[aria-describedby~="${CSS.escape(p.id)}"]`)) {
      problems.push(`the error "${p.textContent.trim()}" describes no input or group`);
    }
  }
  for (const a of document.querySelectorAll("[data-error-summary] a[href^='#']")) {
    if (!document.getElementById(decodeURIComponent(a.getAttribute("href").slice(1)))) {
      problems.push(`the error summary links to ${a.getAttribute("href")}, which is not on the page`);
    }
  }
  return problems;
}"""

# Right after a page that reports a failed form has loaded, the error summary has the focus.
_SUMMARY_FOCUS = """() => {
  const summary = document.querySelector("[data-error-summary]");
  if (!summary) return "";
  const at = document.activeElement;
  return at === summary ? "" : `focus is on ${at ? at.tagName : "nothing"}, not on the error summary`;
}"""


@cache
def axe_source() -> str:
    return (VENDOR / "axe.min.js").read_text(encoding="utf-8")


def pinned_version() -> str:
    return (VENDOR / "VERSION").read_text(encoding="utf-8").strip()


@dataclass(frozen=True)
class CheckedState:
    """One page state checked by axe: which story step, who, where, in which language, what was found."""

    state: str
    username: str
    path: str
    language: str
    violations: int
    how: str  # "as seen" (the story's own page) or "replayed" (the same request in the other language)


CHECKED: list[CheckedState] = []
SERVED_APPS: list[Any] = []  # the apps the browser tests served (their routes are the pages to cover)


def audit(page: Any) -> list[str]:
    """Problems on the page as it is now: axe violations of TAGS and broken error wiring. Empty: clean."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())  # evaluated by the driver, so the page's CSP does not apply
    problems = [_describe(v) for v in page.evaluate(_RUN, list(TAGS))]
    return problems + page.evaluate(_ERROR_WIRING)


def focus_problems(page: Any) -> list[str]:
    """On a page that has just loaded: an error summary that does not have the focus."""
    found = page.evaluate(_SUMMARY_FOCUS)
    return [found] if found else []


def _describe(violation: dict[str, Any]) -> str:
    where = "; ".join(f"{n['target']}: {n['summary'].splitlines()[-1].strip()}" for n in violation["nodes"])
    return f"axe {violation['id']} ({violation['impact']}, {violation['count']}×) {violation['help']} — {where}"


def write_report(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {"axe_core": pinned_version(), "tags": list(TAGS), "states": [asdict(s) for s in CHECKED]}
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
