"""Jinja2 templates: pages, partials, print documents and notification texts. Shipped in the wheel as
package data and found by import (`templates.PATH`), never by the working directory."""

from pathlib import Path

PATH = Path(__file__).resolve().parent
