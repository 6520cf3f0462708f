"""The project's structure, checked (issue 12): no import cycles and no import up the layers
(import-linter, contracts in pyproject.toml), transactions ended only at the request boundary, and
the coverage rule in one module."""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-logo", "--no-cache", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_imports_keep_the_contracts():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "2 kept, 0 broken" in result.stdout


def test_the_linter_sees_a_cycle_hidden_in_a_function(tmp_path):
    """The contract can fail: two modules importing each other, one of them inside a function."""
    pkg = tmp_path / "demo"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from demo import b\n")
    (pkg / "b.py").write_text("def late():\n    from demo import a\n    return a\n")
    (tmp_path / ".importlinter").write_text(textwrap.dedent("""
        [importlinter]
        root_package = demo
        [importlinter:contract:acyclic]
        name = acyclic
        type = acyclic_siblings
        ancestors = demo
    """))
    result = lint(tmp_path)
    assert result.returncode == 1 and "BROKEN" in result.stdout, result.stdout


def _sources(pattern: str) -> list[tuple[str, str]]:
    return [(p.relative_to(ROOT).as_posix(), p.read_text(encoding="utf-8")) for p in (ROOT / "survey").rglob(pattern)]


ENDS_TRANSACTION = re.compile(r"\.(commit|rollback)\(\)")
# Where a transaction may end, and why: the request boundary (viewutil for views, errors for the
# error handlers and the after-request audit rows), commands and jobs, which are their own boundary,
# and the few places that need a transaction of their own.
BOUNDARIES = {
    "survey/viewutil.py": "the views' one commit",
    "survey/errors.py": "error handlers and after-request audit rows roll back the request first",
    "survey/audit.py": "record_now: one row in its own session",
    "survey/database.py": "begin_writing: a read-only transaction becomes a write one",
    "survey/auth/operations.py": "a login's read ends before the password is hashed (no lock held)",
    "survey/export/jobs.py": "the background export job is its own boundary",
    "survey/jobs/queue.py": "a task's session ends when the task does",
    "survey/jobs/durable.py": "a durable task's claim, its work with its done mark, its retry",
    "survey/worker.py": "the worker's periodic tasks are their own boundary",
    "survey/notify/delivery.py": "the delivery job (deliver_pending) is its own boundary",
    "survey/reminders/scan.py": "the reminder scan is its own boundary: one transaction per round and target kind",
    "survey/maintenance.py": "commands", "survey/backup.py": "commands",
}


def test_transactions_end_only_at_the_boundary():
    """Operations, queries, rules and views flush; views commit through survey.viewutil."""
    offenders = [path for path, text in _sources("*.py")
                 if ENDS_TRANSACTION.search(text) and path not in BOUNDARIES and not path.endswith("cli.py")]
    assert offenders == []


def test_no_hook_before_the_view_commits():
    """before_request hooks queue their audit rows (audit.record_after_request), never commit."""
    for path in ("survey/__init__.py", "survey/permissions/link_session.py", "survey/permissions/endpoints.py",
                 "survey/request_text.py", "survey/throttle.py"):
        text = (ROOT / path).read_text(encoding="utf-8")
        assert not ENDS_TRANSACTION.search(text) and "record_now(" not in text, path


def test_the_coverage_rule_lives_in_one_module():
    """Which group covers a unit in a round: only survey/permissions/coverage.py reads the
    assignment (round_units.group_id) or a unit's own group to decide scope."""
    rule = re.compile(r"(RoundUnit\.group_id|round_units\.group_id|Unit\.group_id|\bgroup_ids\(.*\)\s*&|"
                      r"\.group_id\s+(?:==|in|not in)\s)")
    found = [path for path, text in _sources("*.py") if rule.search(text)
             and not path.startswith(("survey/permissions/", "survey/models/"))]
    allowed = {"survey/admin/operations.py",  # moving units between groups (the assignment itself)
               "survey/home/queries.py"}      # counts units without a group (a to-do, not a scope)
    assert set(found) <= allowed, found
