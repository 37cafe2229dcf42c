"""Which casework steps of an association need a supervisor's approval (its own choice)."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import Case, CaseworkStep

#: Built once (CONTRIBUTING.md, "Statements a page runs on every visit").
_STEPS_OF = select(CaseworkStep.step).where(CaseworkStep.agency_id == bindparam("agency_id"))


def steps_of(agency_id: int) -> set[str]:
    return set(db.session.execute(_STEPS_OF, {"agency_id": agency_id}).scalars())


def needs_approval(case: Case, step: str) -> bool:
    return step in steps_of(case.owner_agency_id)
