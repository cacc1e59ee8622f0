"""The Alembic migrations form one line: each revision once, named by its file, one head."""

from __future__ import annotations

import ast
from pathlib import Path

VERSIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"


def _revisions() -> dict[str, tuple[str, str | None]]:
    found: dict[str, tuple[str, str | None]] = {}
    for path in sorted(VERSIONS.glob("*.py")):
        values: dict[str, str | None] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                values[node.target.id] = ast.literal_eval(node.value)
        revision = values["revision"]
        assert revision is not None and revision not in found, f"{path.name}: revision {revision} is taken"
        found[revision] = (path.name, values["down_revision"])
    return found


def test_each_migration_file_carries_its_own_number_and_follows_the_one_before() -> None:
    revisions = _revisions()
    ordered = sorted(revisions)
    assert [revisions[r][0][:4] for r in ordered] == ordered  # 0014_… holds revision "0014"
    assert [revisions[r][1] for r in ordered] == [None, *ordered[:-1]]  # one line, so one head
