"""How the workflow refuses a transition: the faces translate these (409, 412, 422) without
reaching the engine."""

from __future__ import annotations


class WorkflowError(Exception):
    """A transition was refused; nothing changed. `code` is stable, `field` names the input."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.field = field


class InvalidTransition(WorkflowError):
    pass


class GuardFailed(WorkflowError):
    pass


class StaleVersion(WorkflowError):
    """The referral changed since the user read it (If-Match / form version)."""


class ConcurrentUpdate(WorkflowError):
    """Someone else changed the referral during this transition."""
