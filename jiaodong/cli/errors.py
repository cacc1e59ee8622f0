"""How the `jiaodong` command fails: one line that says what to do, exit code 2, no traceback (unless
`--debug`). Used by the console entry point around every command."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from delegation.store.availability import is_unavailable
from jiaodong.settings import get_settings

USAGE_EXIT = 2
NOT_MIGRATED = "数据库尚未初始化：请先运行 jiaodong db upgrade"


class UsageError(Exception):
    """A condition the operator must fix before the command can run; its message says how (one line)."""


def _click(error: BaseException, name: str) -> bool:
    """Is `error` click's exception `name` (Typer vendors its own copy of click, so match by name)?"""
    return any(
        kind.__name__ == name and kind.__module__.split(".")[0] in ("click", "typer") for kind in type(error).__mro__
    )


def _database() -> str:
    try:
        return make_url(get_settings().resolved_database_url).render_as_string(hide_password=True)
    except Exception:
        return "DATABASE_URL"


def _chain(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)
    return found


def _not_migrated(error: BaseException) -> bool:
    for part in _chain(error):
        text = str(part)
        if isinstance(part, sqlite3.OperationalError) and "no such table" in text:
            return True
        if type(part).__name__ == "UndefinedTableError" or ("relation" in text and "does not exist" in text):
            return True
    return False


def explain(error: BaseException) -> str | None:
    """The one line for a failure the operator can fix, or None for a bug."""
    if isinstance(error, UsageError):
        return str(error)
    if _click(error, "UsageError"):
        ctx: Any = getattr(error, "ctx", None)
        command = ctx.command_path if ctx is not None else "jiaodong"
        message = error.format_message() if hasattr(error, "format_message") else str(error)
        return f"参数有误：{message}（查看用法：{command} --help）"
    if isinstance(error, DBAPIError | sqlite3.Error) or any(isinstance(p, sqlite3.Error) for p in _chain(error)):
        if _not_migrated(error):
            return NOT_MIGRATED
        if is_unavailable(error):
            if "unable to open database file" in " ".join(str(p) for p in _chain(error)):
                return NOT_MIGRATED
            return f"无法连接数据库 {_database()}：请确认数据库已启动、DATABASE_URL 正确"
    if is_unavailable(error):
        return f"无法连接数据库 {_database()}：请确认数据库已启动、DATABASE_URL 正确"
    if isinstance(error, httpx.TransportError):
        where = getattr(getattr(error, "request", None), "url", "")
        return f"无法连接服务器 {where}：请确认它已启动、地址正确（例如 PREFECT_API_URL）"
    if isinstance(error, FileNotFoundError):
        return f"找不到文件：{error.filename}"
    return None


def run_guarded(
    command: Callable[[Sequence[str]], int | None], argv: Sequence[str], echo: Callable[[str], None]
) -> int:
    """Run the command line `argv`; failures become one line on stderr and an exit code."""
    debug = "--debug" in argv
    args = [a for a in argv if a != "--debug"]
    if not debug:
        threading.excepthook = _quiet_closed_loop
    try:
        return int(command(args) or 0)
    except Exception as error:
        if _click(error, "Exit"):
            return int(getattr(error, "exit_code", 0))
        if _click(error, "Abort"):
            echo("已取消")
            return 1
        if debug:
            raise
        line = explain(error)
        if line is not None:
            echo(line)
            return USAGE_EXIT
        echo(f"内部错误：{type(error).__name__}: {' '.join(str(error).split())[:300]}（加 --debug 查看详细信息）")
        return 1


_default_thread_hook = threading.excepthook


def _quiet_closed_loop(args: threading.ExceptHookArgs) -> None:
    # aiosqlite's worker thread reports into a loop that a failed command already closed: noise, not news.
    if isinstance(args.exc_value, RuntimeError) and "Event loop is closed" in str(args.exc_value):
        return
    _default_thread_hook(args)
