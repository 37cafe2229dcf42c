"""One page of a query: offset paging with one row more than the page, to know if another follows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select

from ..extensions import db

PAGE_SIZE = 25


@dataclass(frozen=True)
class Page:
    items: list
    number: int
    size: int
    has_next: bool

    @property
    def next_number(self) -> int | None:
        return self.number + 1 if self.has_next else None


def page_of(query: Select, number: int, size: int = PAGE_SIZE, *, rows: bool = False) -> Page:
    """Page `number` (from 1; lower numbers mean the first) of `query`, as ORM objects (the first
    column of each row), or as whole rows with ``rows=True``."""
    number = max(number, 1)
    result = db.session.execute(query.offset((number - 1) * size).limit(size + 1))
    found = result.all() if rows else result.scalars().all()
    return Page(items=list(found[:size]), number=number, size=size, has_next=len(found) > size)
