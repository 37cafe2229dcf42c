"""Small-cell suppression: no count from 1 to 4 is shown, and an attacker who solves the rows and
columns of the published table (totals included) one unknown at a time recovers none."""

from __future__ import annotations

import random

import pytest

from referral.stats.suppression import Grid, line_pattern, lines, suppress

pytestmark = pytest.mark.no_db


def attack(grid: Grid) -> dict:
    """What an attacker works out: while some row or column has exactly one unknown, its equation
    (the cells sum to the total, the last cell of the line) gives it. Returns {cell: value}."""
    known = {(r, c): grid.values[r][c] for r in range(grid.rows) for c in range(grid.columns)
             if (r, c) not in grid.suppressed}
    recovered = {}
    progress = True
    while progress:
        progress = False
        for line in lines(grid.rows, grid.columns):
            unknown = [cell for cell in line if cell not in known]
            if len(unknown) != 1:
                continue
            *parts, total = line
            cell = unknown[0]
            if cell == total:
                value = sum(known[p] for p in parts)
            else:
                value = known[total] - sum(known[p] for p in parts if p != cell)
            known[cell] = recovered[cell] = value
            progress = True
    return recovered


def assert_safe(grid: Grid) -> None:
    for r in range(grid.rows):
        for c in range(grid.columns):
            value = grid.shown(r, c)
            assert value is None or not 0 < value < 5, f"cell {(r, c)} = {value} is shown"
    assert attack(grid) == {}, "a suppressed cell was worked out from the totals"
    for line in lines(grid.rows, grid.columns):
        assert sum(cell in grid.suppressed for cell in line) != 1


def test_the_attacker_does_recover_a_lone_suppressed_cell():
    """The attacker is real: with primary suppression alone, a row total gives the hidden cell away."""
    grid = Grid([[3, 10, 13], [20, 30, 50], [23, 40, 63]], frozenset({(0, 0)}))
    assert attack(grid) == {(0, 0): 3}


def test_a_lone_small_cell_takes_company_in_its_row_and_column():
    grid = suppress([[3, 10, 12], [20, 30, 40], [25, 35, 45]])
    assert (0, 0) in grid.suppressed
    assert_safe(grid)
    # the smallest other cells were chosen, not the totals
    assert (0, 1) in grid.suppressed and (1, 0) in grid.suppressed


def test_a_region_with_a_small_total():
    grid = suppress([[2, 1, 0], [30, 40, 50], [12, 20, 9]])
    assert grid.shown(0, 3) is None  # the total 3 itself
    assert grid.shown(0, 2) == 0  # zero stays zero
    assert_safe(grid)


def test_tempting_tables():
    tables = [
        [[1, 0, 0], [0, 0, 0], [0, 0, 7]],  # one small count in a table of zeros
        [[4, 100], [100, 100]],  # a small cell beside big ones
        [[1, 1], [1, 1]],  # everything small
        [[0, 5, 0], [5, 0, 5], [0, 5, 0]],  # nothing to suppress
        [[6, 6, 1], [6, 6, 6], [6, 6, 6]],  # one cell, then a chain of secondary choices
        [[2, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 9]],  # zeros only around it: a zero must be taken
    ]
    for table in tables:
        assert_safe(suppress(table))


def test_nothing_to_hide_hides_nothing():
    assert suppress([[0, 5, 0], [5, 0, 5]]).suppressed == frozenset()


def test_random_tables_never_give_a_cell_away():
    rng = random.Random(18)  # fixed: the same tables on every run
    for _ in range(400):
        rows, columns = rng.randint(1, 7), rng.randint(1, 7)
        table = [[rng.choice((0, 0, 1, 2, 3, 4, 5, 6, 9, 15, 40)) for _c in range(columns)] for _r in range(rows)]
        assert_safe(suppress(table))


def test_frozen_region_totals_are_the_same_in_every_table():
    """The files per region appear in every table: hidden once, for all; each table stays safe."""
    rng = random.Random(7)
    for _ in range(200):
        regions = rng.randint(1, 6)
        tables = []
        totals = [rng.choice((0, 2, 6, 9, 30)) for _r in range(regions)]
        for _t in range(3):  # three indicators splitting the same files differently
            table, width = [], rng.randint(2, 5)
            for total in totals:
                columns = [0] * width
                for _f in range(total):
                    columns[rng.randrange(len(columns))] += 1
                table.append(columns)
            tables.append(table)
        hidden, grand_hidden = line_pattern(totals)
        frozen = hidden | ({regions} if grand_hidden else set())
        grids = [suppress(t, row_totals_suppressed=frozen) for t in tables]
        for grid in grids:
            assert_safe(grid)
            assert {r for r in range(regions + 1) if (r, grid.columns - 1) in grid.suppressed} == frozen
