"""The default referral pathway: states, transitions, who may fire them, guards, timers.

Changing the pathway means changing this table, not the engine. Each transition names:
- the states it leaves from and the state it reaches (None: back to the state before an
  information request),
- the side of the referral allowed to fire it (sender, recipient or oversight),
- what it needs (a reason code, a message),
- what it does to the SLA timers (meet, cancel all, pause all, resume all).

Oversight transitions (a coordinator's nudges) either keep the state (`keeps_state`: a reminder is
recorded and notified, the referral is not changed) or send a referral the coordinator drafted
herself (`own_draft_only`: reassigning a declined referral to another service).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from ..models.vocab import ReferralStatus as S
from ..models.vocab import TimerKind as T

OPEN_STATES = frozenset({S.SENT, S.ACKNOWLEDGED, S.ACCEPTED, S.IN_PROGRESS, S.AWAITING_INFO})
FINAL_STATES = frozenset({S.COMPLETED, S.DECLINED, S.RETURNED, S.WITHDRAWN})
#: States that bring the file back to its caseworker with a reason (closed loop).
BOUNCED_STATES = frozenset({S.DECLINED, S.RETURNED})


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[S]
    target: S | None
    side: str  # "sender", "recipient" or "oversight"
    requires_reason: bool = False
    requires_message: bool = False
    requires_consent: bool = False
    meets: tuple[T, ...] = ()
    starts_timers: bool = False
    cancels_timers: bool = False
    pauses_timers: bool = False
    resumes_timers: bool = False
    #: Timestamp column of Referral set the first time this transition fires.
    stamps: tuple[str, ...] = ()
    #: "other_side", or "recipient": the receiving agency's staff whoever fires it.
    notify: str = "other_side"
    #: Notification kind when not "referral.<name>".
    notify_kind: str | None = None
    #: Recorded, audited and notified, but the state, version and file activity stay as they were
    #: (not "target None", which means back to the state before an information request).
    keeps_state: bool = False
    #: Only while the referral is past its next due time.
    requires_overdue: bool = False
    #: At most once per this interval on one referral (a double click does not nag twice).
    repeat_after: timedelta | None = None
    #: Only on a draft the acting user created herself (never someone else's draft).
    own_draft_only: bool = False
    extra: dict = field(default_factory=dict)


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("send", frozenset({S.DRAFT}), S.SENT, "sender", requires_consent=True,
                   starts_timers=True, stamps=("sent_at",)),
        Transition("acknowledge", frozenset({S.SENT}), S.ACKNOWLEDGED, "recipient",
                   meets=(T.ACKNOWLEDGE,), stamps=("acknowledged_at",)),
        # Accepting straight from "sent" acknowledges too: one click for a busy officer.
        Transition("accept", frozenset({S.SENT, S.ACKNOWLEDGED}), S.ACCEPTED, "recipient",
                   meets=(T.ACKNOWLEDGE, T.DECIDE), stamps=("acknowledged_at", "decided_at")),
        Transition("decline", frozenset({S.SENT, S.ACKNOWLEDGED}), S.DECLINED, "recipient",
                   requires_reason=True, cancels_timers=True, stamps=("acknowledged_at", "decided_at")),
        Transition("start", frozenset({S.ACCEPTED}), S.IN_PROGRESS, "recipient",
                   meets=(T.FIRST_ACTION, T.CLINICAL_PEP, T.CLINICAL_EC), stamps=("first_action_at",)),
        Transition("complete", frozenset({S.IN_PROGRESS}), S.COMPLETED, "recipient",
                   requires_message=True, meets=(T.COMPLETE,), cancels_timers=True, stamps=("completed_at",)),
        Transition("return", frozenset({S.ACCEPTED, S.IN_PROGRESS}), S.RETURNED, "recipient",
                   requires_reason=True, cancels_timers=True),
        Transition("withdraw", frozenset(OPEN_STATES), S.WITHDRAWN, "sender", cancels_timers=True),
        Transition("info_request", frozenset({S.SENT, S.ACKNOWLEDGED, S.ACCEPTED, S.IN_PROGRESS}),
                   S.AWAITING_INFO, "recipient", requires_message=True, pauses_timers=True),
        Transition("info_provided", frozenset({S.AWAITING_INFO}), None, "sender",
                   requires_message=True, resumes_timers=True),
        # Coordinator's nudges.
        Transition("remind", frozenset(OPEN_STATES), None, "oversight", keeps_state=True, requires_overdue=True,
                   repeat_after=timedelta(hours=1), notify="recipient", notify_kind="referral.reminder"),
        # Sends the coordinator's copy of a declined referral to another service (services.nudges).
        Transition("reassign", frozenset({S.DRAFT}), S.SENT, "oversight", requires_consent=True, own_draft_only=True,
                   starts_timers=True, stamps=("sent_at",), notify="recipient", notify_kind="referral.send"),
    )
}


def available_transitions(status: S, side: str) -> list[Transition]:
    """Transitions a user on `side` may fire from `status` (for buttons and the API)."""
    return [t for t in TRANSITIONS.values() if status in t.sources and t.side == side]
