"""Server-side sessions that survive a database outage: the outage is answered as one (503), never
as an anonymous visit (a login redirect) or a bare 500 from saving the session."""

from __future__ import annotations

from flask import Flask, Request, Response, g
from sqlalchemy.exc import DBAPIError

from ..faults import database_fault, note_fault, unavailable_response
from .sessions import DatabaseSessionInterface, ServerSession


class ResilientSessionInterface(DatabaseSessionInterface):
    def open_session(self, app: Flask, request: Request) -> ServerSession:
        try:
            return super().open_session(app, request)
        except DBAPIError as exc:
            reason = database_fault(exc)
            if reason is None:
                raise
            # No response can be given from here; the request lifecycle answers 503 at once.
            note_fault(reason, session_open=False)
            return ServerSession()

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:
        if g.get("db_fault"):
            return
        try:
            super().save_session(app, session, response)
        except DBAPIError as exc:
            reason = database_fault(exc)
            if reason is None:
                raise
            # The session row (a login, a language) was not saved: the answer must not pretend it was.
            _become(response, unavailable_response(reason))


def _become(response: Response, replacement: Response) -> None:
    response.set_data(replacement.get_data())
    response.status_code = replacement.status_code
    response.headers.clear()
    response.headers.extend(replacement.headers)
