"""`jiaodong i18n`: keep the pages' message catalogues (translations/<locale>/LC_MESSAGES/messages.po) in step
with the texts in templates/ and api/web/."""

from __future__ import annotations

import typer

i18n_app = typer.Typer(help="Message catalogues of the web pages (Babel).", no_args_is_help=True)


@i18n_app.command("update")
def update() -> None:
    """Extract the texts (babel.cfg) and merge new ones into every catalogue; then translate the empty ones."""
    from api.web import i18n

    for locale, missing in i18n.update_catalogues().items():
        typer.echo(f"{locale}: {missing} untranslated ({i18n.catalogue_path(locale).relative_to(i18n.ROOT)})")


@i18n_app.command("check")
def check() -> None:
    """Fail when a text of the pages lacks a translation in a catalogue."""
    from api.web import i18n

    failed = False
    for locale in i18n.LOCALES:
        missing = i18n.untranslated(locale)
        for message in missing:
            typer.echo(f"{locale}: untranslated: {message}", err=True)
        failed = failed or bool(missing)
    if failed:
        raise typer.Exit(1)
    typer.echo("every text is translated in " + ", ".join(i18n.LOCALES))
