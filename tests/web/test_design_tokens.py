"""The colours of the pages' design tokens (the :root custom properties of app.css) meet WCAG 2.1 AA where
they are used: text 4.5:1 on every surface it sits on (1.4.3), focus rings and control borders 3:1 against
the surfaces around them (1.4.11). axe in the browser stories checks rendered text; focus rings and
borders it cannot see, so their pairs are pinned here."""

from __future__ import annotations

import re

import pytest

from api.web import STATIC_DIR

CSS = STATIC_DIR / "css" / "app.css"
LIGHT_SURFACES = ("--card", "--bg", "--ok-bg", "--soon-bg", "--late-bg", "--paused-bg")

TEXT_ON = [
    ("--ink", LIGHT_SURFACES),
    ("--ink-2", LIGHT_SURFACES),
    ("--ink-3", LIGHT_SURFACES),
    ("--brand", ("--card", "--bg")),
    ("--brand-2", ("--card", "--bg")),
    ("--ok", ("--card", "--ok-bg")),
    ("--soon", ("--card", "--soon-bg")),
    ("--late", ("--card", "--late-bg")),
    ("--paused", ("--card", "--paused-bg")),
    ("--brand-ink", ("--brand", "--brand-2", "--late", "--soon")),
]
NON_TEXT_ON = [
    ("--focus", LIGHT_SURFACES),
    ("--focus-on-brand", ("--brand",)),
    ("--control-border", ("--card", "--bg")),
]


def tokens() -> dict[str, str]:
    root = re.search(r":root\s*\{(.*?)\}", CSS.read_text(encoding="utf-8"), re.S)
    assert root, "app.css has no :root block of design tokens"
    return dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{6})\b", root.group(1)))


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_ratio_matches_the_wcag_worked_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the classic AA grey
    assert contrast("#6b7585", "#f3f5f8") == pytest.approx(4.26, abs=0.01)  # the old quiet text, 4.26:1


@pytest.mark.parametrize(("fg", "backgrounds"), TEXT_ON, ids=[fg for fg, _ in TEXT_ON])
def test_text_tokens_reach_4_5_to_1_on_their_surfaces(fg: str, backgrounds: tuple[str, ...]) -> None:
    t = tokens()
    low = {bg: round(contrast(t[fg], t[bg]), 2) for bg in backgrounds if contrast(t[fg], t[bg]) < 4.5}
    assert not low, f"{fg} {t[fg]} is below 4.5:1 on {low}"


@pytest.mark.parametrize(("fg", "backgrounds"), NON_TEXT_ON, ids=[fg for fg, _ in NON_TEXT_ON])
def test_focus_rings_and_control_borders_reach_3_to_1(fg: str, backgrounds: tuple[str, ...]) -> None:
    t = tokens()
    low = {bg: round(contrast(t[fg], t[bg]), 2) for bg in backgrounds if contrast(t[fg], t[bg]) < 3}
    assert not low, f"{fg} {t[fg]} is below 3:1 against {low}"


def test_focus_is_drawn_with_the_tokens() -> None:
    css = CSS.read_text(encoding="utf-8")
    assert re.search(r":focus-visible\s*\{[^}]*outline:\s*3px solid var\(--focus\)", css)
    assert re.search(r"\.topbar :focus-visible[^{]*\{[^}]*outline-color:\s*var\(--focus-on-brand\)", css)
