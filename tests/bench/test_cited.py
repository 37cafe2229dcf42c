"""BENCHMARKS.md quotes only what its results files say (bench/cited.py): every figure of its
targets table is checked against the file it cites, and a figure without a citation fails."""

from __future__ import annotations

import json

import pytest

from bench import cited

pytestmark = pytest.mark.no_db


def test_every_figure_of_the_targets_table_is_its_results_files():
    assert cited.problems() == []


def test_a_misquoted_or_uncited_figure_is_found(tmp_path):
    """The steady sweep was once quoted at 275 ms where its file says 428.5 ms."""
    doc = cited.ROOT / "BENCHMARKS.md"
    wrong = tmp_path / "BENCHMARKS.md"
    wrong.write_text(doc.read_text().replace("428.5 ms (final); 8 due timers", "275 ms (final); 8 due timers", 1))
    assert any("cites '428.5 ms'" in p for p in cited.problems(doc=wrong))
    assert any("shows 275 without a citation" in p for p in cited.problems(doc=wrong))
    citations = json.loads((cited.ROOT / "bench" / "cited.json").read_text())
    citations["search by phone"]["2026-11-23"][0]["path"] = "search.full_name.app.p99_ms"  # another figure's value
    moved = tmp_path / "cited.json"
    moved.write_text(json.dumps(citations))
    assert any("quotes '10.6 ms'" in p for p in cited.problems(citations=moved))
