"""Who may do what to which record, and which fields she may see: the one place these rules live.

Every view, API endpoint, service and list query asks here. Actions are named; an unknown name is
a programming error and raises. Records outside the user's scope are "not found" (404), so their
ids cannot be probed; records in scope but not open to an action are "forbidden" (403).
"""

from .actions import ACTIONS, Action
from .core import (
    Decision,
    NotFoundError,
    PermissionDenied,
    can,
    case_access,
    has_role_for,
    require,
    visible_case_fields,
)
from .queries import cases_query, inbox_query, outbox_query, referrals_of_case_query

__all__ = [
    "ACTIONS", "Action", "Decision", "NotFoundError", "PermissionDenied", "can", "case_access", "has_role_for",
    "cases_query", "inbox_query", "outbox_query", "referrals_of_case_query",
    "require", "visible_case_fields",
]
