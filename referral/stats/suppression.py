"""Small-cell suppression of a table of counts with its totals (statistical disclosure control).

The table is its interior cells plus a total column (each row's sum), a total row (each column's
sum) and the grand total: every row and every column of that grid is an equation someone can
solve. A count of 1 to 4 is suppressed (primary suppression; 0 is shown as 0). Then, while some
line of the grid (a row or a column, totals included) has exactly one suppressed cell, its
smallest shown non-frozen cell is suppressed too (secondary suppression), until no line has
exactly one. With two or more unknowns in every line that has any, the equations that have
exactly one unknown are none: no suppressed cell can be worked out from the totals one line at a
time. (Combining lines can narrow a cell to a range; it is not the promise made here.)

Frozen cells are those whose suppression is decided elsewhere: the region totals, which every
table of the same population shares, are suppressed once for all tables (`line_pattern`), so a
total hidden in one table is never shown by another.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Counts from 1 to SUPPRESS_BELOW - 1 are never shown.
SUPPRESS_BELOW = 5

Cell = tuple[int, int]


def is_small(value: int) -> bool:
    return 0 < value < SUPPRESS_BELOW


@dataclass(frozen=True)
class Grid:
    """Counts with totals: ``values[r][c]``, the last row and column being the totals."""

    values: list[list[int]]
    suppressed: frozenset[Cell]

    @property
    def rows(self) -> int:
        return len(self.values)

    @property
    def columns(self) -> int:
        return len(self.values[0])

    def shown(self, r: int, c: int) -> int | None:
        return None if (r, c) in self.suppressed else self.values[r][c]


def with_totals(interior: Sequence[Sequence[int]]) -> list[list[int]]:
    """The interior with each row's total appended, then the row of column totals."""
    rows = [list(row) + [sum(row)] for row in interior]
    width = len(rows[0]) if rows else 1
    return rows + [[sum(row[c] for row in rows) for c in range(width)]]


def lines(n_rows: int, n_columns: int) -> list[list[Cell]]:
    """Every row and every column of the grid, as lists of cells."""
    return ([[(r, c) for c in range(n_columns)] for r in range(n_rows)]
            + [[(r, c) for r in range(n_rows)] for c in range(n_columns)])


def suppress(interior: Sequence[Sequence[int]], *, row_totals_suppressed: Iterable[int] | None = None) -> Grid:
    """Suppress `interior` with its totals. With `row_totals_suppressed` (the indexes of the rows
    whose total is hidden), the total column and the grand total are frozen to that decision."""
    values = with_totals(interior)
    n_rows, n_columns = len(values), len(values[0])
    frozen: set[Cell] = set()
    suppressed = {(r, c) for r in range(n_rows) for c in range(n_columns) if is_small(values[r][c])}
    if row_totals_suppressed is not None:
        frozen = {(r, n_columns - 1) for r in range(n_rows)}
        suppressed = {cell for cell in suppressed if cell not in frozen}
        suppressed |= {(r, n_columns - 1) for r in row_totals_suppressed}
    return Grid(values, frozenset(_secondary(values, suppressed, frozen)))


def _secondary(values: list[list[int]], suppressed: set[Cell], frozen: set[Cell]) -> set[Cell]:
    grid_lines = lines(len(values), len(values[0]))
    changed = True
    while changed:
        changed = False
        for line in grid_lines:
            if sum(cell in suppressed for cell in line) != 1:
                continue
            candidates = [cell for cell in line if cell not in suppressed and cell not in frozen]
            if not candidates:
                raise ValueError("a line with one suppressed cell has no other cell that may be suppressed")
            # The smallest count hides the least; a zero protects nothing (no count is below it),
            # so one is taken only when nothing else is left.
            choice = min(candidates, key=lambda cell: (values[cell[0]][cell[1]] == 0, values[cell[0]][cell[1]],
                                                       cell))
            suppressed.add(choice)
            changed = True
    return suppressed


def line_pattern(counts: Sequence[int]) -> tuple[set[int], bool]:
    """Which of `counts` (say each region's total) and whether their sum are suppressed, so that
    no single one can be worked out from the others and the sum."""
    grid = suppress([[value] for value in counts])
    hidden = {r for r in range(len(counts)) if (r, 0) in grid.suppressed}
    return hidden, (len(counts), 0) in grid.suppressed
