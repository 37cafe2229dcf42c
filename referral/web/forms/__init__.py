"""WTForms forms, one module per feature; labels and errors are translatable."""

from __future__ import annotations

from wtforms import DateField, DateTimeField, SelectChoice
from wtforms.widgets import TextInput

from ...translation import lazy_gettext as _l

BLANK = "—"


def options(pairs, *, blank: bool = False) -> list[SelectChoice]:
    """Select choices from (value, label) pairs; labels may stay lazy (translated at render)."""
    result = [SelectChoice("", BLANK)] if blank else []
    return result + [SelectChoice(str(value) if value is not None else "", text) for value, text in pairs]


def enum_options(enum_cls, prefix: str = "", *, blank: bool = True) -> list[SelectChoice]:
    from ...labels import lazy_label

    return options(((m.value, lazy_label(m.value, prefix)) for m in enum_cls), blank=blank)


class FormOnFirstUse:
    """A blank form built the first time a template reads it.

    The file page offers seven small forms (close, reopen, confirm, decide, ...) and draws two or
    three of them; each costs its fields, its CSRF token and their labels when built. Until it is
    built it is a blank form that nobody has validated, so it has no errors: that is all the page's
    error summary asks of it (`errors`), without building it."""

    __slots__ = ("_build", "_form")

    def __init__(self, build):
        self._build = build
        self._form = None

    def _built(self):
        if self._form is None:
            self._form = self._build()
        return self._form

    @property
    def errors(self) -> dict:
        return {} if self._form is None else self._form.errors

    def __getattr__(self, name):
        return getattr(self._built(), name)

    def __getitem__(self, name):
        return self._built()[name]

    def __contains__(self, name) -> bool:
        return name in self._built()

    def __iter__(self):
        return iter(self._built())


class DayFirstDateField(DateField):
    """A date typed day first (31/12/2026), whatever language the browser itself is set to.

    A native date input shows the browser's order, month first in an English browser, which a
    reader of Arabic or French takes for the day: 12/03 read as 12 March. The field says the order
    it expects and takes ISO dates too, as the filter links and old bookmarks carry them."""

    widget = TextInput()
    FORMATS = ("%d/%m/%Y", "%Y-%m-%d")

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"inputmode": "numeric", "dir": "ltr", "autocomplete": "off",
                     "placeholder": _l("dd/mm/yyyy"), **kwargs.pop("render_kw", {})}
        kwargs.setdefault("description", _l("Day/month/year"))
        super().__init__(label, validators, format=list(self.FORMATS), render_kw=render_kw, **kwargs)

    def _value(self):
        # A date understood is shown back day first, even when a link carried it in ISO form;
        # one that was not is shown as typed, to be corrected.
        return self.data.strftime(self.FORMATS[0]) if self.data else super()._value()

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Type the date day first, for example 31/12/2026.")) from None


class DayFirstDateTimeField(DateTimeField):
    """A date and time typed day first (31/12/2026 22:30), for the same reason as `DayFirstDateField`:
    a native date-time input shows the browser's order, not the page's."""

    widget = TextInput()
    FORMATS = ("%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"inputmode": "numeric", "dir": "ltr", "autocomplete": "off",
                     "placeholder": _l("dd/mm/yyyy hh:mm"), **kwargs.pop("render_kw", {})}
        kwargs.setdefault("description", _l("Day/month/year hour:minute"))
        super().__init__(label, validators, format=list(self.FORMATS), render_kw=render_kw, **kwargs)

    def _value(self):
        return self.data.strftime(self.FORMATS[0]) if self.data else super()._value()

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Type the date and time day first, for example 31/12/2026 22:30.")) from None
