"""The web pages and the API translate requests into use cases (referral/services) and their
answers back: no view reaches the database session or the workflow engine itself (issue 15)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_db

PACKAGE = Path(__file__).resolve().parents[1] / "referral"
FACES = ("web", "api")
#: Face modules that may touch the session, and why.
SESSION_ALLOWED = {
    "web/refusals.py": "drops a refused use case's writes before the page is drawn again",
}


def _face_modules():
    for face in FACES:
        for path in sorted((PACKAGE / face).rglob("*.py")):
            yield path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text())


def _touches_session(tree) -> list[int]:
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr == "session"
            and isinstance(node.value, ast.Name) and node.value.id == "db"]


def _imports_engine(tree) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = {alias.name for alias in node.names}
            if module.endswith("workflows.engine") or (module.endswith("workflows") and "engine" in names):
                lines.append(node.lineno)
        elif isinstance(node, ast.Import) and any(a.name.endswith("workflows.engine") for a in node.names):
            lines.append(node.lineno)
    return lines


def test_no_view_touches_the_database_session():
    offenders = {name: lines for name, tree in _face_modules()
                 if name not in SESSION_ALLOWED and (lines := _touches_session(tree))}
    assert offenders == {}, f"views reaching db.session (call a use case in referral/services): {offenders}"


def test_no_view_imports_the_workflow_engine():
    offenders = {name: lines for name, tree in _face_modules() if (lines := _imports_engine(tree))}
    assert offenders == {}, f"views importing the engine (use services.referrals): {offenders}"


def test_the_checks_see_what_they_look_for():
    tree = ast.parse("from ..workflows import engine\nfrom ..extensions import db\ndb.session.get(X, 1)\n")
    assert _imports_engine(tree) == [1] and _touches_session(tree) == [3]
