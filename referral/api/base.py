"""The API's plumbing: the smorest Api (its spec, problem responses), the root blueprint every
resource nests under (so every endpoint is named "api.*"), and the per-resource blueprint class."""

from __future__ import annotations

import http
import json

from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response
from webargs.flaskparser import FlaskParser

from ..faults import PROBLEM_MEDIA_TYPE
from .schemas.common import ProblemSchema

#: Every resource nests under this blueprint: endpoints are "api.<resource>.<view>", which the request
#: lifecycle leaves to the API's own bearer-token check.
root = Blueprint("api", __name__, url_prefix="/api", description="Masar REST API")

ETAG_HEADER = {"ETag": {"description": "The record's version; send it back in If-Match to update it.",
                        "schema": {"type": "string"}}}


class MasarApi(Api):
    """flask-smorest, minus what would leak outside /api: no app-wide JSON error handler (the web
    keeps its error pages) and no docs blueprint (the spec is served inside the api blueprint)."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        pass

    def _register_doc_blueprint(self):
        pass

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM_MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Error (RFC 9457 problem)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MEDIA_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


class JsonParser(FlaskParser):
    """JSON nested deeper than the interpreter recurses makes `json.loads` raise RecursionError,
    which webargs does not expect (a 500); here it is invalid JSON like any other (a 400)."""

    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except RecursionError as exc:
            raise json.JSONDecodeError("nested too deep", doc="(too deep)", pos=0) from exc


class ApiBlueprint(Blueprint):
    """A resource: its operations are tagged with its name and document the problems they answer."""

    ARGUMENTS_PARSER = JsonParser()

    def __init__(self, name: str, import_name: str, *, tag: str, **kwargs):
        super().__init__(name, import_name, **kwargs)
        self.tag = tag

    def route(self, rule, *, parameters=None, tags=None, **options):
        options.setdefault("strict_slashes", False)
        return super().route(rule, parameters=parameters, tags=tags or [self.tag], **options)

    def problems(self, *codes: int):
        """Document problem responses (every one also falls under `default`)."""
        decorators = [self.alt_response(code, response=http.HTTPStatus(code).name) for code in codes]

        def decorator(func):
            for apply in reversed(decorators):
                func = apply(func)
            return func

        return decorator
