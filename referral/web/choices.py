"""Select-box choices read from the directory, named in the reader's language."""

from __future__ import annotations

from flask_babel import get_locale
from sqlalchemy import select
from wtforms import SelectChoice

from ..extensions import db
from ..models import Agency, Region, Service
from ..models.vocab import AgencyKind
from .forms import BLANK, options


def _lang() -> str:
    return str(get_locale())


def region_choices(blank: str = BLANK) -> list[SelectChoice]:
    regions = db.session.execute(select(Region).order_by(Region.code)).scalars()
    return options([("", blank)] + [(r.id, r.name(_lang())) for r in regions])


def agency_choices(exclude_id: int | None = None) -> list[SelectChoice]:
    # Two columns, not the directory's objects: every file page of an association lists them all.
    lang = _lang()
    localized = getattr(Agency, f"name_{lang}", Agency.name_en)
    rows = db.session.execute(
        select(Agency.id, localized, Agency.name_en)
        .where(Agency.active.is_(True), Agency.kind != AgencyKind.NETWORK).order_by(Agency.code)
    ).all()
    return options([(id_, name or name_en) for id_, name, name_en in rows if id_ != exclude_id], blank=True)


def service_choices(services: list[Service], free: dict | None = None) -> list[SelectChoice]:
    """`free`: places free per service (staff only), shown after the name of a service that has places."""
    from .stays import places_text

    lang = _lang()
    free = free or {}
    return options([(s.id, f"{s.agency.name(lang)} — {s.name(lang)}"
                           + (f" ({places_text(free[s.id])})" if s.id in free else "")) for s in services],
                   blank=True)
