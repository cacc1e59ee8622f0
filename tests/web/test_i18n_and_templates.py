"""Every UI text goes through the Babel catalogues, both catalogues translate every one, and the templates
hold no hard-coded text, no inline script and no inline style (the pages' CSP would refuse them)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from api.web import i18n
from api.web.forms import nest, parse_path
from api.web.templating import TEMPLATES_DIR

PAGE_TEMPLATES = sorted(
    p for p in TEMPLATES_DIR.rglob("*.html") if "notifications" not in p.parts
)  # templates/notifications/** are plain-text notices, not pages
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
_JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.S)
_TAG = re.compile(r"<[^>]*>", re.S)
_ATTRIBUTE = re.compile(r'\s(placeholder|title|aria-label|alt|data-label-[\w-]+|data-confirm)="([^"]*)"')


def _letters(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch).startswith("L"))


def test_there_are_page_templates_and_the_extraction_finds_their_texts() -> None:
    assert len(PAGE_TEMPLATES) >= 15
    files = {Path(f).as_posix() for f, _message, _line in i18n.extracted()}
    for template in PAGE_TEMPLATES:
        relative = template.relative_to(i18n.ROOT).as_posix()
        if "{{ _(" in template.read_text(encoding="utf-8") or "_(" in template.read_text(encoding="utf-8"):
            assert relative in files, f"babel.cfg does not extract {relative}"


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_both_catalogues_translate_every_message(locale: str) -> None:
    assert i18n.untranslated(locale) == [], f"run `jiaodong i18n update` and translate translations/{locale}"
    assert i18n.translations(locale).gettext("Log in") == {"zh_CN": "登录", "en": "Log in"}[locale]


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_translations_keep_every_placeholder(locale: str) -> None:
    for message in i18n.read_catalogue(locale):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(_PLACEHOLDER.findall(ids[-1])) | set(_PLACEHOLDER.findall(ids[0]))
        for string in strings:
            got = set(_PLACEHOLDER.findall(string))
            assert got <= wanted and (got == wanted or "num" in wanted), (locale, message.id, string)


def test_catalogues_are_kept_as_po_only() -> None:
    assert not list(i18n.TRANSLATIONS_DIR.rglob("*.mo")), "compiled .mo files do not belong in git"


@pytest.mark.parametrize("template", PAGE_TEMPLATES, ids=lambda p: p.relative_to(TEMPLATES_DIR).as_posix())
def test_templates_hold_no_hard_coded_text(template: Path) -> None:
    source = template.read_text(encoding="utf-8")
    for name, value in _ATTRIBUTE.findall(source):
        assert not _letters(_JINJA.sub("", value)), f"hard-coded {name}={value!r} in {template.name}"
    source = re.sub(r"\{% block (body_class|back) %\}.*?\{% endblock %\}", " ", source)  # classes, links
    text = _TAG.sub(" ", _JINJA.sub(" ", source))
    text = re.sub(r"&[a-z]+;|&#\d+;", " ", text)
    assert not _letters(text), f"hard-coded text in {template.name}: {_letters(text)[:80]!r}"


@pytest.mark.parametrize("template", PAGE_TEMPLATES, ids=lambda p: p.relative_to(TEMPLATES_DIR).as_posix())
def test_templates_hold_no_inline_script_or_style(template: Path) -> None:
    source = template.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", source), "inline <script>"
    assert not re.search(r"<style[\s>]", source), "inline <style>"
    assert not re.search(r'\sstyle="', source), "style attribute"
    assert not re.search(r"\son[a-z]+=", source), "inline event handler"
    assert "javascript:" not in source


def test_form_paths_nest_like_the_services_error_paths() -> None:
    assert parse_path("fields.properties[1].address") == ["fields", "properties", 1, "address"]
    assert parse_path("parties[0].id_number") == ["parties", 0, "id_number"]
    assert parse_path("fields..x") is None and parse_path("a[100]") is None and parse_path("Bad") is None
    form = [
        ("fields.properties[1].address", "b"),
        ("fields.properties[0].address", " a "),
        ("parties[0].name", "张三"),
        ("case_number", "（2026）鲁0202执1号"),
    ]
    assert nest(form) == {
        "fields": {"properties": [{"address": "a"}, {"address": "b"}]},
        "parties": [{"name": "张三"}],
        "case_number": "（2026）鲁0202执1号",
    }


def test_only_local_paths_are_followed_after_login_or_a_language_switch() -> None:
    from api.web.context import safe_next

    assert safe_next("/work?view=outbox") == "/work?view=outbox"
    for bad in ("https://evil.example/", "//evil.example/", "/\\evil.example", "/\t/evil.example", "", None, "work"):
        assert safe_next(bad, "/home") == "/home", bad
