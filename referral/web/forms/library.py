"""Forms for the awareness library: coordinators write, the public chooses a region."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ...translation import lazy_gettext as _l
from . import options
from .cases import REQUIRED

TOPIC_LABELS = {
    "rights": _l("Your rights"),
    "law": _l("The law on violence against women"),
    "help": _l("Where to get help"),
    "health": _l("Health and care"),
    "other": _l("Other"),
}
LANGUAGE_LABELS = {"ar": "العربية", "fr": "Français", "en": "English"}


class LibraryItemForm(FlaskForm):
    version = HiddenField()
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)], render_kw={"dir": "auto"})
    slug = StringField(_l("Address on the site"), validators=[DataRequired(REQUIRED), Length(max=80)],
                       description=_l("Lower-case Latin letters, digits and hyphens, like know-your-rights."),
                       render_kw={"dir": "ltr"})
    language = SelectField(_l("Language"), choices=options(LANGUAGE_LABELS.items()))
    topic = SelectField(_l("Topic"), choices=options(TOPIC_LABELS.items()))
    summary = TextAreaField(_l("Summary (shown in the list)"), validators=[Optional(), Length(max=500)],
                            render_kw={"dir": "auto", "rows": 2})


class ArticleForm(LibraryItemForm):
    body_markdown = TextAreaField(
        _l("Text"), validators=[DataRequired(REQUIRED), Length(max=50_000)],
        description=_l("Markdown: ## for a heading, * for a list, **bold**, [text](https://...) for a link. "
                       "HTML and images are not shown."),
        render_kw={"dir": "auto", "rows": 18})


class DocumentForm(LibraryItemForm):
    document = FileField(_l("PDF document (up to 5 MB)"),
                         description=_l("When editing, leave empty to keep the current document."))


class ItemVersionForm(FlaskForm):
    """Publish, unpublish or delete: the version seen, so a change made meanwhile is not overridden."""

    version = IntegerField(validators=[Optional()])
