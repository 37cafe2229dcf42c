"""A benchmark run never writes over the results file of an earlier run of the same day."""

from __future__ import annotations

import pytest

from bench.paths import unused

pytestmark = pytest.mark.no_db


def test_a_second_run_of_the_day_gets_a_file_of_its_own(tmp_path):
    first = tmp_path / "2026-12-04-n1000000.json"
    assert unused(first) == first
    first.write_text("{}")
    second = unused(first)
    assert second.name == "2026-12-04-n1000000-2.json"
    second.write_text("{}")
    assert unused(first).name == "2026-12-04-n1000000-3.json"
    assert first.read_text() == "{}"
