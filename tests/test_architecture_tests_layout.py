"""The tests mirror the source, so a newcomer finds them (CONTRIBUTING.md, "Where the tests are"):
the tests of `referral/x/y.py` are `tests/x/test_y.py` or `tests/x/test_y_<aspect>.py`, those of a
module at the top of `referral/` are `tests/test_<module>*.py`. A few directories and prefixes are
not modules, and say so here."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.no_db

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "referral"
#: Test directories that are not a package of referral/, and what they hold.
OTHER_DIRECTORIES = {
    "browser": "journeys in real Chromium, named by what the user does",
    "bench": "the benchmark harness (bench/) on a small database",
    "migrations": "the migrations (migrations/versions) replayed up and down",
}
#: Test name prefixes that are no module, and what they hold.
OTHER_PREFIXES = {
    "web": {"pages": "every page at once: statement counts, hardening, redirects, concurrency"},
    "api": {"resources": "the smaller resources, one test each (search, consents, risk, directory, ...)"},
    "": {"architecture": "rules about the code itself: layers, thin faces, this layout",
         "config": "config.py, at the root of the repository"},
}


def _module_names(directory: Path) -> set[str]:
    return {p.stem for p in directory.glob("*.py") if p.stem != "__init__"} | \
        {p.name for p in directory.iterdir() if p.is_dir() and (p / "__init__.py").exists()}


def _misplaced() -> list[str]:
    wrong = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        relative = path.relative_to(ROOT / "tests")
        directory = relative.parent.as_posix() if relative.parent.as_posix() != "." else ""
        if directory.split("/")[0] in OTHER_DIRECTORIES:
            continue
        source = SOURCE / directory
        if not source.is_dir():
            wrong.append(f"{relative}: no package referral/{directory}")
            continue
        name = path.stem.removeprefix("test_")
        known = _module_names(source) | set(OTHER_PREFIXES.get(directory, {}))
        if not any(name == module or name.startswith(module + "_") for module in known):
            wrong.append(f"{relative}: no module referral/{directory}/{name.split('_')[0]}... it tests")
    return wrong


def test_every_test_file_mirrors_the_module_it_tests():
    assert _misplaced() == []
