"""Select-box choices read from the directory, named in the reader's language."""

from __future__ import annotations

from flask_babel import get_locale
from wtforms import SelectChoice

from ..models import Service
from ..services import directory
from .forms import BLANK, options


def _lang() -> str:
    return str(get_locale())


def region_choices(blank: str = BLANK) -> list[SelectChoice]:
    return options([("", blank)] + [(r.id, r.name(_lang())) for r in directory.regions()])


def agency_choices(exclude_id: int | None = None) -> list[SelectChoice]:
    return options([(id_, name) for id_, name in directory.agency_names(_lang()) if id_ != exclude_id], blank=True)


def service_choices(services: list[Service], free: dict | None = None) -> list[SelectChoice]:
    """`free`: places free per service (staff only), shown after the name of a service that has places."""
    from .stays import places_text

    lang = _lang()
    free = free or {}
    return options([(s.id, f"{s.agency.name(lang)} — {s.name(lang)}"
                           + (f" ({places_text(free[s.id])})" if s.id in free else "")) for s in services],
                   blank=True)
