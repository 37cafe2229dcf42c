"""Results files are evidence: a run never writes over an earlier one's file."""

from __future__ import annotations

from pathlib import Path


def unused(path: Path) -> Path:
    """`path`, or the same name with -2, -3... before its suffix when a file of that name exists
    (two runs on one day)."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate
