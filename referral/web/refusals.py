"""How a page answers a refused submission, so that a refused action changes nothing.

The lifecycle commits answers under 400. A form shown again after a POST was refused (its
validation failed, or the service raised an input error, possibly after it had started writing):
422, so everything the request did is rolled back and the form keeps what was typed. A refusal told
on another page (flash and redirect) is marked refused so that it rolls back too. The flash message
survives: the browser session is saved after the rollback, in a transaction of its own.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request

from ..extensions import db
from ..lifecycle import refuse

#: Unprocessable Content: the form is shown again with what was typed and why it was refused.
REFUSED = 422


def form_page(template: str, refused_status: int = REFUSED, **context):
    """A page with a form: 200 when it is first shown (GET); a POST that reaches it was refused."""
    return render_template(template, **context), refused_status if request.method == "POST" else 200


def discard_refused_changes() -> None:
    """A use case refused after it had started writing: drop its writes now, so that the page drawn
    again shows the record as it is (the lifecycle would roll them back at the end anyway)."""
    refuse()
    db.session.rollback()


def refused_redirect(location: str, message: str | None = None):
    """Refuse, tell why on the page the user goes back to, keep nothing the request wrote."""
    refuse()
    if message:
        flash(message, "error")
    return redirect(location)


def attach_input_error(form, exc) -> None:
    """Show a use case's InputError at the field it names (or, for a field the form lacks, as a
    message at the top), so the page drawn again says what to fix beside what was typed."""
    from ..services.errors import input_error_message

    field = getattr(form, exc.field, None)
    message = input_error_message(exc.code)
    if field is not None:
        field.errors = list(field.errors) + [message]
    else:
        flash(message, "error")
