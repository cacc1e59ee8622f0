"""`jiaodong serve`: the embedded default in one command.

0. Create every folder it writes to (data, data/prefect, data/reports).
1. Unless PREFECT_API_URL points to a Prefect server, start one (`prefect server start`) on a free loopback
   port, with its SQLite database and PREFECT_HOME under <data folder>/prefect and analytics off.
2. Supervise the flow runner (a child process serving the deployments of flows/deployments.py; see
   jiaodong/supervisor.py): it waits with backoff until Prefect answers, however long that takes, and is
   restarted when it dies; its state is in /readyz and in a log line per change.
3. Run the web app (uvicorn, api.app.create_app) in this process at once. It never calls Prefect: Prefect
   being away only delays scheduled work, never the web app. With `--workers N` (N > 1) uvicorn runs N web
   worker processes (`web_app`) behind one listening socket instead; the Prefect server and the one flow
   runner stay with this process, so the flows run once whatever N is, and the workers read the runner's
   state for /readyz from a file the supervisor writes (<data folder>/prefect/runner-state.json).
4. On Ctrl-C or SIGTERM uvicorn stops; then the runner and the server are stopped, gently, then firmly.
Children die with this process even if it is killed (PR_SET_PDEATHSIG on Linux).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flows.deployments import served_name_suffix
from jiaodong.cli.errors import UsageError
from jiaodong.settings import Settings, get_settings, insecure_start_reason
from jiaodong.supervisor import RunnerSupervisor, probe_file

if TYPE_CHECKING:
    from fastapi import FastAPI


def say(message: str) -> None:
    print(f"[jiaodong serve] {message}", file=sys.stderr, flush=True)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> Callable[[], None] | None:
    """preexec_fn for children: SIGTERM when this process dies (Linux); a new process group, so a
    terminal's Ctrl-C reaches only us and we stop the children in order."""
    if not sys.platform.startswith("linux"):
        return os.setsid

    def pre() -> None:
        os.setsid()
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    return pre


def prefect_environment(settings: Settings, api_url: str | None = None) -> dict[str, str]:
    """The environment for the embedded Prefect server and everything that talks to it."""
    home = (settings.data_dir / "prefect").resolve()
    env = dict(os.environ)
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT="false",
        PREFECT_LOGGING_LEVEL=env.get("PREFECT_LOGGING_LEVEL", "INFO"),
        # Children resolve the data folder and the database the same way as this process.
        JIAODONG_DATA_DIR=str(settings.data_dir.resolve()),
    )
    if settings.database_url is None:
        env["DATABASE_URL"] = settings.resolved_database_url
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def spawn(argv: Sequence[str], env: dict[str, str], log: Path | None = None) -> subprocess.Popen[bytes]:
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
    out = open(log, "ab") if log else None  # noqa: SIM115 (kept open for the child's life)
    return subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        list(argv), env=env, stdout=out, stderr=subprocess.STDOUT if out else None, preexec_fn=_die_with_parent()
    )


def stop_process(name: str, process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (our children shut down gracefully on it), then SIGINT, then SIGKILL."""
    started = time.monotonic()
    for sig, wait in ((signal.SIGTERM, 20.0), (signal.SIGINT, 5.0), (signal.SIGKILL, 5.0)):
        if process.poll() is not None:
            break
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue
    say(f"{name} stopped (exit {process.returncode}, {time.monotonic() - started:.1f} s)")


@dataclass
class Children:
    processes: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(
        self, name: str, argv: list[str], env: dict[str, str], log: Path | None = None
    ) -> subprocess.Popen[bytes]:
        process = spawn(argv, env, log)
        self.processes.append((name, process))
        return process

    def stop(self) -> None:
        """Newest first: the runner before the server it talks to."""
        for name, process in reversed(self.processes):
            stop_process(name, process)
        self.processes.clear()


def start_prefect(settings: Settings, children: Children) -> str:
    """The API URL of the Prefect server: PREFECT_API_URL's, or a local one started here. Not waited for:
    the supervised runner waits for it (and the web app never does)."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        say(f"using the Prefect server at {configured}")
        return configured
    home = (settings.data_dir / "prefect").resolve()
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = prefect_environment(settings)
    env.pop("PREFECT_API_URL", None)
    say(f"starting the Prefect server on http://127.0.0.1:{port} (data in {home}, log in {home / 'server.log'})")
    children.start(
        "prefect server",
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env,
        home / "server.log",
    )
    return api_url


def make_folders(settings: Settings) -> None:
    """Every folder serve and its children write to, so a new data folder works on the first start."""
    for folder in (settings.data_dir, settings.data_dir / "prefect", settings.data_dir / "reports"):
        folder.resolve().mkdir(parents=True, exist_ok=True)


SERVED_SUFFIX_VARIABLE = "JIAODONG_SERVED_DEPLOYMENT_SUFFIX"  # parent -> runner child


RUNNER_STATE_VARIABLE = "JIAODONG_RUNNER_STATE_FILE"  # parent -> web workers (--workers N)


def runner_state_file(settings: Settings) -> Path:
    return (settings.data_dir / "prefect" / "runner-state.json").resolve()


def supervise_runner(
    settings: Settings, api_url: str, name_suffix: str = "", state_file: Path | None = None
) -> RunnerSupervisor:
    env = prefect_environment(settings, api_url)
    env[SERVED_SUFFIX_VARIABLE] = name_suffix
    log = (settings.data_dir / "prefect" / "runner.log").resolve()
    supervisor = RunnerSupervisor(
        api_url=api_url,
        argv=[sys.executable, "-m", "jiaodong.serve", "runner"],
        env=env,
        log_path=log,
        say=say,
        start_child=spawn,
        stop_child=lambda process: stop_process("flow runner", process),
        state_file=state_file,
    )
    supervisor.start()
    say(f"flow runner supervised (waits for {api_url}; log in {log})")
    return supervisor


def remote_registration_refused(environ: dict[str, str], register_deployments: bool) -> str | None:
    """Why the embedded runner must not start: registering its deployments on a Prefect server it did not start
    (PREFECT_API_URL) would replace the production deployments of the same names (entrypoints, parameters,
    schedules). Only an explicit --register-deployments allows it."""
    url = environ.get("PREFECT_API_URL")
    if url and not register_deployments:
        return (
            f"PREFECT_API_URL is set ({url}): not registering the embedded deployments there, which would replace "
            "the deployments of the same names (production uses prefect deploy --all); pass "
            "--register-deployments to serve them from this process anyway, or --no-flows"
        )
    return None


def start_registry_sim(settings: Settings, children: Children, web_port: int) -> str:
    """The embedded default's registries (docs/network.md): the simulator on a free loopback port with a fresh
    shared secret, the demo courts' connectors pointed at it, and registry callbacks to this web app."""
    import asyncio
    import secrets

    from delegation.store.db import make_engine, make_sessionmaker
    from jiaodong.demo.connectors import SECRET_ENV, configure

    os.environ.setdefault(SECRET_ENV, secrets.token_urlsafe(32))  # children inherit it; never written to disk
    os.environ.setdefault("JIAODONG_NETWORK_CALLBACK_URL", f"http://127.0.0.1:{web_port}/api/v1/network/callbacks")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = (settings.data_dir / "registry-sim.log").resolve()
    children.start(
        "registry simulator",
        [sys.executable, "-m", "jiaodong.registry_sim", "--port", str(port)],
        dict(os.environ),
        log,
    )

    async def configure_connectors() -> int:
        engine = make_engine(settings.resolved_database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                return await configure(session, base_url, datetime.now(UTC))
        finally:
            await engine.dispose()

    count = asyncio.run(configure_connectors())
    say(f"registry simulator on {base_url} (log in {log}); {count} demo connectors point at it")
    return base_url


def run(
    host: str,
    port: int,
    flows: bool = True,
    insecure_dev: bool = False,
    register_deployments: bool = False,
    registry_sim: bool | None = None,
    workers: int = 1,
) -> None:
    import uvicorn

    from api.app import create_app

    settings = get_settings()
    reason = insecure_start_reason(settings, host)
    if reason and not insecure_dev:
        raise UsageError(reason)
    if reason:
        say(f"warning: {reason} (--insecure-dev given)")
    make_folders(settings)
    children = Children()
    supervisor: RunnerSupervisor | None = None
    # SIGTERM at any moment ends in the `finally` below, which stops the children in order. uvicorn, while
    # it runs, stops gracefully on SIGINT/SIGTERM and then re-raises the signal; turned into
    # KeyboardInterrupt here, it does not just kill the process.
    signal.signal(signal.SIGTERM, _interrupt)
    refused = remote_registration_refused(dict(os.environ), register_deployments) if flows else None
    if refused:
        say(f"serving the web app only: {refused}")
        flows = False
    if registry_sim is None:  # the embedded default: SQLite, its own Prefect, the flows
        registry_sim = flows and settings.database_url is None and not os.environ.get("PREFECT_API_URL")
    try:
        if registry_sim:
            start_registry_sim(settings, children, port)
        if flows:
            remote = os.environ.get("PREFECT_API_URL")
            suffix = served_name_suffix(remote, socket.gethostname())
            if suffix:
                say(f"serving the deployments on {remote} as <name>{suffix} (the work pool's keep their names)")
            api_url = start_prefect(settings, children)
            if settings.prefect_ui_url is None:  # a matter's page links its flow runs there
                settings = settings.model_copy(update={"prefect_ui_url": api_url.removesuffix("/api")})
            state_file = runner_state_file(settings) if workers > 1 else None
            supervisor = supervise_runner(settings, api_url, suffix, state_file)
            if state_file is not None:  # the web workers read their settings from the environment they inherit
                os.environ[RUNNER_STATE_VARIABLE] = str(state_file)
                if settings.prefect_ui_url:
                    os.environ["JIAODONG_PREFECT_UI_URL"] = settings.prefect_ui_url
        # Behind a TLS proxy, X-Forwarded-Proto from the trusted proxies makes request.url https, and with it
        # the session cookie Secure.
        from jiaodong.logs import configure as configure_logs

        configure_logs()
        options: dict[str, Any] = {
            "host": host,
            "port": port,
            "log_level": "info",
            "log_config": None,  # our JSON lines (jiaodong.logs) for uvicorn's loggers too
            "access_log": False,  # the app logs each request itself, with its id, route, user and latency
            "proxy_headers": True,
            "forwarded_allow_ips": settings.forwarded_allow_ips,
        }
        if workers > 1:
            say(f"{workers} web workers on http://{host}:{port}; the flows run in the one runner of this process")
            uvicorn.run("jiaodong.serve:web_app", factory=True, workers=workers, **options)
        else:
            uvicorn.run(create_app(settings, runner_probe=supervisor.probe if supervisor else None), **options)
    except KeyboardInterrupt:
        say("stopping")
    finally:
        if supervisor is not None:
            supervisor.stop()
        children.stop()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def web_app() -> FastAPI:
    """The app of one web worker process (`jiaodong serve --workers N`, uvicorn's factory): the settings from
    the environment, like the serving process, and the runner's state from the file its supervisor writes."""
    from api.app import create_app
    from jiaodong.logs import configure as configure_logs

    configure_logs()
    state = os.environ.get(RUNNER_STATE_VARIABLE)
    return create_app(get_settings(), runner_probe=probe_file(Path(state)) if state else None)


def runner_main() -> None:
    """The child process: serve the deployments until SIGINT/SIGTERM."""
    from flows.deployments import serve_all

    signal.signal(signal.SIGTERM, _interrupt)
    with contextlib.suppress(KeyboardInterrupt):
        serve_all(name_suffix=os.environ.get(SERVED_SUFFIX_VARIABLE, ""))


if __name__ == "__main__":  # pragma: no cover - child process entry point
    if sys.argv[1:] == ["runner"]:
        runner_main()
    else:
        sys.exit("usage: python -m jiaodong.serve runner")
