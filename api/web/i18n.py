"""Message catalogues for the pages: Simplified Chinese by default, English by a switch (a cookie).

Every UI text is an English message id in a template (`_()`, `{% trans %}`) or in api/web (`_()`, `N_()`),
translated by the Babel catalogues translations/<locale>/LC_MESSAGES/messages.po. The .po files are the
only form kept in git; they are compiled in memory when the app starts (no .mo files to forget to rebuild).

`extract()` collects the message ids with babel.cfg (the same mapping `pybabel extract -F babel.cfg` uses);
`update_catalogues()` merges new ids into both catalogues (run it after adding texts, then translate).
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

import translations as translations_package

TRANSLATIONS_DIR = translations_package.PATH
# Extraction (`jiaodong i18n update`) works on a checkout: the sources and babel.cfg next to the catalogues.
ROOT = TRANSLATIONS_DIR.parent
MAPPING_FILE = ROOT / "babel.cfg"
DOMAIN = "messages"
LOCALES: tuple[str, ...] = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LANG_COOKIE = "jd_lang"
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
# Each language by its own name, on every page whatever the page's language, so a reader finds the way back to
# theirs (never translated).
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def N_(message: str) -> str:
    """Marks a text for extraction where it is defined; it is translated where it is shown."""
    return message


def catalogue_path(locale: str) -> Path:
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(locale: str) -> Catalog:
    with catalogue_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalogue of `locale` (compiled once per process, from the .po file)."""
    if locale not in LOCALES:
        raise ValueError(f"unsupported locale {locale!r}")
    buffer = BytesIO()
    write_mo(buffer, read_catalogue(locale), use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def compile_all() -> None:
    """Compile every catalogue now, so a broken .po file stops the app at start, not on a page."""
    for locale in LOCALES:
        translations(locale)


def pick_locale(cookie: str | None) -> str:
    return cookie if cookie in LOCALES else DEFAULT_LOCALE


# ---------------------------------------------------------------- catalogue maintenance


def _mapping() -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    with MAPPING_FILE.open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(MAPPING_FILE))  # type: ignore[no-untyped-call]
    return list(method_map), dict(options_map)


def extracted() -> Iterator[tuple[str, str | tuple[str, ...], int]]:
    """(file, message id (a tuple for plurals), line) for every message in the sources babel.cfg names."""
    method_map, options_map = _mapping()
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, directory_filter=lambda d: not Path(d).name.startswith(".")
    ):
        yield filename, message, lineno


def extract() -> Catalog:
    catalog = Catalog(domain=DOMAIN, project="jiaodong-delegation", charset="utf-8")
    for filename, message, lineno in extracted():
        catalog.add(message, None, [(filename, lineno)])
    return catalog


def update_catalogues() -> dict[str, int]:
    """Merge the extracted ids into every catalogue; returns the number of untranslated ids per locale."""
    template = extract()
    missing: dict[str, int] = {}
    for locale in LOCALES:
        path = catalogue_path(locale)
        if path.exists():
            catalog = read_catalogue(locale)
        else:
            catalog = Catalog(locale=locale, domain=DOMAIN, project="jiaodong-delegation")
        created, revised = catalog.creation_date, catalog.revision_date
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        # A stable header: no dates that change on every run, not fuzzy (its plural rule is used).
        catalog.creation_date, catalog.revision_date = created, revised
        catalog.fuzzy = False
        catalog.project, catalog.version = "jiaodong-delegation", "0.1"
        catalog.copyright_holder = "Jiaodong five-city delegation platform"
        catalog.msgid_bugs_address = ""
        catalog.last_translator = catalog.language_team = "Jiaodong platform team"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=0, omit_header=False, sort_output=True, include_previous=False)
        missing[locale] = sum(1 for m in catalog if m.id and not _translated(m.string))
    return missing


def _translated(value: object) -> bool:
    if isinstance(value, (tuple, list)):
        return all(bool(v) for v in value)
    return bool(value)


def untranslated(locale: str) -> list[str]:
    """Message ids the catalogue of `locale` lacks (or leaves empty or fuzzy)."""
    catalog = read_catalogue(locale)
    out: list[str] = []
    for _filename, message, _lineno in extracted():
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        if entry is None or entry.fuzzy or not _translated(entry.string):
            out.append(key)
    return sorted(set(out))
