"""Babel catalogues of the pages (<locale>/LC_MESSAGES/messages.po), compiled at start-up. Shipped in the
wheel as package data and found by import (`translations.PATH`)."""

from pathlib import Path

PATH = Path(__file__).resolve().parent
