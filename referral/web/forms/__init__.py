"""WTForms forms, one module per feature; labels and errors are translatable."""

from __future__ import annotations

from wtforms import SelectChoice

BLANK = "—"


def options(pairs, *, blank: bool = False) -> list[SelectChoice]:
    """Select choices from (value, label) pairs; labels may stay lazy (translated at render)."""
    result = [SelectChoice("", BLANK)] if blank else []
    return result + [SelectChoice(str(value) if value is not None else "", text) for value, text in pairs]


def enum_options(enum_cls, prefix: str = "", *, blank: bool = True) -> list[SelectChoice]:
    from ...labels import lazy_label

    return options(((m.value, lazy_label(m.value, prefix)) for m in enum_cls), blank=blank)
