"""Migrations are code: the migrated schema equals the models, and every revision goes down and up."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from referral.extensions import db


def _diff():
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(context, db.metadata)


def test_models_and_migrations_agree(app):
    assert _diff() == []


@pytest.mark.slow
def test_every_revision_downgrades_and_upgrades(owner_app):
    with owner_app.app_context():  # as the tables' owner, like a deployment
        downgrade(revision="base")
        assert "cases" not in inspect(db.engine).get_table_names()
        upgrade()
        assert _diff() == []
        db.engine.dispose()
    assert "audit_events" in inspect(db.engine).get_table_names()


@pytest.mark.no_db
def test_no_migration_imports_the_app():
    """A migration carries its own SQL, column lists and arithmetic: replaying it after the app
    changed does what it did when it was written (issue 15, part 6)."""
    import ast
    from pathlib import Path

    importing = set()
    for path in sorted((Path(__file__).resolve().parents[2] / "migrations" / "versions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(name == "referral" or name.startswith("referral.") for name in names):
                importing.add(path.name)
    assert importing == set()
