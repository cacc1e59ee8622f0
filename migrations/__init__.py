"""Alembic migrations for SQLite and PostgreSQL. Shipped in the wheel and found by import
(`migrations.PATH`), so an installed `jiaodong db upgrade` finds them."""

from pathlib import Path

PATH = Path(__file__).resolve().parent
