"""The previous release's API runs against the new schema (expand, then contract): during an upgrade the
migrations run first, while replicas of the previous release still serve. Its own story and list tests, from its
own source, run on databases migrated by this release's migrations (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The release the replicas run while this one's migrations are applied; move it forward with each release.
PREVIOUS_RELEASE = "c48d04d6da2ddce98c45ff795319a70c78c91e82"
MAIN_PATHS = ["tests/api/test_story.py", "tests/api/test_lists.py"]


def test_the_previous_release_serves_its_main_read_and_write_paths_on_the_new_schema(tmp_path: Path) -> None:
    old = tmp_path / "previous"
    old.mkdir()
    archive = subprocess.run(
        [shutil.which("git") or "git", "-C", str(ROOT), "archive", "--format=tar", PREVIOUS_RELEASE],
        capture_output=True,
        check=False,
    )
    assert archive.returncode == 0, f"the previous release is not in this clone's history: {archive.stderr!r}"
    with tempfile.TemporaryFile() as tar_file:
        tar_file.write(archive.stdout)
        tar_file.seek(0)
        with tarfile.open(fileobj=tar_file) as tar:
            tar.extractall(old, filter="data")
    # Its code, this release's migrations: the schema the previous replicas meet during the rolling upgrade.
    for previous in (old / "migrations" / "versions").glob("*.py"):
        previous.unlink()
    for current in (ROOT / "migrations" / "versions").glob("*.py"):
        shutil.copy(current, old / "migrations" / "versions" / current.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIAODONG_", "PREFECT_"))}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *MAIN_PATHS],
        cwd=old,
        env={**env, "CI": os.environ.get("CI", "false"), "PYTHONPATH": str(old)},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout.splitlines()[-1]
