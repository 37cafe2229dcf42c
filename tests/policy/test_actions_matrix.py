"""Who may do what to which record: every action, for every role, in every scope."""

from __future__ import annotations

from datetime import timedelta

import pytest

from referral.extensions import db
from referral.models import Consent
from referral.models.base import utcnow
from referral.models.vocab import CaseStatus, ReferralStatus, ServiceCategory
from referral.policy import Action, Decision, NotFoundError, PermissionDenied, can, case_access, require
from referral.policy.recipients import recipient_access
from referral.services.cases import read_identity
from referral.services.consents import withdraw_consent
from referral.workflows.engine import fire
from tests.factories import as_user, consent_and_refer, make_case

OK, HIDDEN, FORBIDDEN = "allowed", NotFoundError, PermissionDenied
A = Action

# What each role may do at all, written from the design, not copied from the code.
ROLE_ACTIONS = {
    "caseworker": {A.CASE_CREATE, A.CASE_LIST, A.CASE_READ, A.CASE_UPDATE, A.CASE_CLOSE, A.CASE_CONSENT,
                   A.CASE_ASSESS_RISK, A.CASE_NOTE, A.CASE_REFER, A.CASE_SEARCH, A.CASE_BREAK_GLASS,
                   A.REFERRAL_READ, A.REFERRAL_RECEIVE, A.REFERRAL_SEND, A.DIRECTORY_READ, A.REPORT_READ,
                   A.REPORT_HANDLE, A.CAPACITY_READ, A.STAY_READ, A.STAY_MANAGE, A.HOT_CASE_FLAG},
    # Shelter staff may be officers of a receiving association: stays are theirs to run.
    "officer": {A.CASE_READ, A.CASE_NOTE, A.CASE_BREAK_GLASS, A.REFERRAL_READ, A.REFERRAL_RECEIVE,
                A.DIRECTORY_READ, A.CAPACITY_READ, A.STAY_READ, A.STAY_MANAGE},
    # Coordinators see places and occupancy (numbers, never who is in a shelter).
    "coordinator": {A.REFERRAL_READ, A.REFERRAL_NUDGE, A.DASHBOARD_READ, A.SLA_MANAGE, A.DIRECTORY_READ,
                    A.DIRECTORY_MANAGE, A.CAPACITY_READ, A.OCCUPANCY_READ, A.LIBRARY_MANAGE,
                    A.OBSERVATORY_READ, A.OBSERVATORY_MANAGE, A.HOT_CASE_FLAG, A.HOT_CASE_READ,
                    A.HOT_CASE_DECIDE},
    "auditor": {A.AUDIT_READ, A.AUDIT_EXPORT},
    "admin": {A.CASE_ERASE, A.SLA_MANAGE, A.DIRECTORY_READ, A.DIRECTORY_MANAGE, A.USERS_MANAGE, A.KEYS_MANAGE,
              A.OBSERVATORY_MANAGE},
}
ACTORS = {"caseworker": "cw_a", "officer": "officer_police", "coordinator": "coordinator", "auditor": "auditor",
          "admin": "admin"}
# On a file she may see, what each relation allows; any other action there is forbidden.
ON_FILE = {"owner": {A.CASE_READ, A.CASE_NOTE, A.CASE_UPDATE, A.CASE_CLOSE, A.CASE_CONSENT, A.CASE_ASSESS_RISK,
                     A.CASE_REFER},
           "recipient": {A.CASE_READ, A.CASE_NOTE}}
ON_REFERRAL = {"sender": {A.REFERRAL_READ, A.REFERRAL_SEND},
               "recipient": {A.REFERRAL_READ, A.REFERRAL_RECEIVE},
               "oversight": {A.REFERRAL_READ, A.REFERRAL_NUDGE}}

# (user, record) -> her relation to it, or None when it is outside her scope.
FILE_SCOPES = {
    ("cw_a", "file_a"): "owner", ("cw_a", "file_b"): None, ("cw_a", "referred"): "owner",
    ("cw_b", "file_a"): None, ("cw_b", "file_b"): "owner", ("cw_b", "referred"): "recipient",
    ("officer_police", "file_a"): None, ("officer_police", "referred"): "recipient",
    ("officer_hospital", "file_a"): None, ("officer_hospital", "referred"): "recipient",
    ("coordinator", "referred"): None, ("regional_coordinator", "referred"): None,
    ("auditor", "referred"): None, ("admin", "referred"): None,
}
REFERRAL_SCOPES = {
    ("cw_a", "to_police"): "sender", ("cw_a", "to_hospital"): "sender", ("cw_a", "draft"): "sender",
    ("cw_b", "to_b"): "recipient", ("cw_b", "to_police"): None,
    ("officer_police", "to_police"): "recipient", ("officer_police", "to_hospital"): None,
    ("officer_hospital", "to_hospital"): "recipient", ("officer_hospital", "draft"): None,
    ("coordinator", "to_police"): "oversight", ("coordinator", "to_hospital"): "oversight",
    ("regional_coordinator", "to_hospital"): "oversight", ("regional_coordinator", "to_police"): None,
    ("regional_coordinator", "to_b"): None,
    ("auditor", "to_police"): None, ("admin", "to_hospital"): None,
}


def expected_on(relation: str | None, allowed: set) -> dict:
    if relation is None:
        return dict.fromkeys(Action, HIDDEN)
    return {action: OK if action in allowed else FORBIDDEN for action in Action}


@pytest.fixture
def scene(world):
    cw = world.cw_a
    file_a, file_b, referred = make_case(cw), make_case(world.cw_b), make_case(cw)
    records = {
        "file_a": file_a, "file_b": file_b, "referred": referred,
        "to_police": consent_and_refer(cw, referred, world.service(world.police, ServiceCategory.POLICE_PROTECTION)),
        "to_b": consent_and_refer(cw, referred, world.service(world.assoc_b, ServiceCategory.LEGAL)),
        "to_hospital": consent_and_refer(cw, referred, world.service(world.hospital, ServiceCategory.POST_RAPE_CARE),
                                         assault_at=utcnow() - timedelta(hours=2)),
    }
    records["draft"] = consent_and_refer(cw, file_a, world.service(world.hospital, ServiceCategory.MEDICAL),
                                         send=False)
    return records


def outcome(user, action, record=None):
    try:
        require(user, action, record)
    except (NotFoundError, PermissionDenied) as refusal:
        assert can(user, action, record) is False
        return type(refusal)
    assert can(user, action, record) is True
    return OK


@pytest.mark.parametrize("role", ROLE_ACTIONS)
def test_every_action_without_a_record(world, role):
    user = getattr(world, ACTORS[role])
    got = {action: outcome(user, action) for action in Action}
    assert got == {a: OK if a in ROLE_ACTIONS[role] else FORBIDDEN for a in Action}


def test_a_lead_holds_her_staff_role_and_approves_account_changes(world):
    """The lead role adds one permission (approving her agency's account changes, per record in
    tests/services/test_account_approvals.py) to what her caseworker or officer role already gives."""
    from referral.models.vocab import Role
    from tests.factories import make_user

    for role, actor in (("caseworker", world.assoc_a), ("officer", world.police)):
        lead = make_user(f"lead.{role}", actor, Role(role), Role.LEAD)
        got = {action: outcome(lead, action) for action in Action}
        allowed = ROLE_ACTIONS[role] | {A.ACCOUNTS_APPROVE}
        assert got == {a: OK if a in allowed else FORBIDDEN for a in Action}


@pytest.mark.parametrize(("who", "what"), FILE_SCOPES)
def test_every_action_on_a_file(world, scene, who, what):
    relation = FILE_SCOPES[(who, what)]
    user = getattr(world, who)
    got = {action: outcome(user, action, scene[what]) for action in Action}
    assert got == expected_on(relation, ON_FILE.get(relation, set()))
    assert case_access(user, scene[what]).relation == (relation or "none")


@pytest.mark.parametrize(("who", "what"), REFERRAL_SCOPES)
def test_every_action_on_a_referral(world, scene, who, what):
    relation = REFERRAL_SCOPES[(who, what)]
    got = {action: outcome(getattr(world, who), action, scene[what]) for action in Action}
    assert got == expected_on(relation, ON_REFERRAL.get(relation, set()))


def test_a_disabled_account_sees_nothing(world, scene):
    world.cw_a.active = False
    assert {outcome(world.cw_a, a, r) for a in Action for r in (None, scene["file_a"], scene["to_police"])} == {
        HIDDEN}


def test_an_unknown_action_is_a_programming_error(world, scene):
    for call in (require, can):
        with pytest.raises(ValueError, match="unknown permission 'case:teleport'"):
            call(world.cw_a, "case:teleport", scene["file_a"])


@pytest.mark.parametrize("who", ["coordinator", "regional_coordinator", "auditor", "admin"])
def test_network_staff_never_get_file_access(world, scene, who):
    user = getattr(world, who)
    for name in ("file_a", "file_b", "referred"):
        access = case_access(user, scene[name])
        assert (access.allowed, access.fields) == (False, frozenset())
        with pytest.raises(NotFoundError):
            read_identity(user, scene[name])
    with pytest.raises(PermissionDenied):
        read_identity(user, scene["referred"], break_glass_reason="danger_now")


# --- fields follow consent ---------------------------------------------------------------------


CONTACT = {"full_name", "phone", "address", "contact_instructions"}


def test_an_officer_sees_only_the_consented_and_shared_fields(world, scene):
    with as_user(world.officer_police):
        assert set(read_identity(world.officer_police, scene["referred"])) == CONTACT
        assert set(read_identity(world.officer_police, scene["referred"], columns=["narrative", "phone"])) == {
            "phone"}


def test_a_referral_carries_the_intersection_of_consent_and_what_was_shared(world):
    case = make_case(world.cw_a)
    # She agreed to share name, contact and narrative; the caseworker sent only the name.
    from referral.services.consents import record_consent

    with as_user(world.cw_a):
        record_consent(world.cw_a, case, fields=["name", "contact", "narrative"], agency_id=world.police.id)
    consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION),
                      fields=["name"])
    with as_user(world.officer_police):
        assert set(read_identity(world.officer_police, case)) == {"full_name"}


def test_withdrawn_consent_takes_the_fields_back(world, scene):
    case = scene["referred"]
    with as_user(world.cw_a):
        for consent in db.session.query(Consent).filter_by(case_id=case.id, agency_id=world.police.id):
            withdraw_consent(world.cw_a, case, consent)
        db.session.commit()
    # Nothing is left that the consent covered: the file is out of her scope, as if never referred.
    with as_user(world.officer_police), pytest.raises(NotFoundError):
        read_identity(world.officer_police, case)
    assert case_access(world.officer_police, case) == Decision(False, "none")
    # The other recipients keep what their own consent covers.
    with as_user(world.cw_b):
        assert set(read_identity(world.cw_b, case)) == CONTACT


def test_a_withdrawn_referral_takes_the_file_back(world, scene):
    with as_user(world.cw_a):
        fire(scene["to_police"], "withdraw", world.cw_a)
        db.session.commit()
    with pytest.raises(NotFoundError):
        read_identity(world.officer_police, scene["referred"])


def test_break_glass_needs_a_reason_from_the_list(world, scene):
    for reason in ("   ", "She called, her husband Karim is at the door"):
        with pytest.raises(ValueError):
            read_identity(world.officer_hospital, scene["file_b"], break_glass_reason=reason)


# --- access ends ------------------------------------------------------------------------------

DAY = timedelta(days=1)


def _end(world, scene, how: str) -> None:
    """Put the police referral (and its file) in the state `how`, as the workflow would leave it."""
    referral, case = scene["to_police"], scene["referred"]
    if how in ("declined", "withdrawn", "returned", "completed"):
        referral.status = ReferralStatus(how)
    if how == "completed":
        referral.completed_at = utcnow() - 29 * DAY
    if how == "completed_long_ago":
        referral.status, referral.completed_at = ReferralStatus.COMPLETED, utcnow() - 31 * DAY
    if how == "file_closed":
        case.status = CaseStatus.CLOSED
    if how == "consent_withdrawn":
        _withdraw_agency_consent(world, case, world.police)
    db.session.commit()


# how -> (the officer's relation to the file afterwards, why her access ended)
ENDINGS = {
    "live": ("recipient", None),
    "completed": ("recipient", None),  # within the 30 days after completion
    "declined": (None, "declined"),
    "withdrawn": (None, "withdrawn"),
    "returned": (None, "returned"),
    "completed_long_ago": (None, "completed"),
    "file_closed": (None, "file_closed"),
    "consent_withdrawn": (None, "no_consent"),
}


@pytest.mark.parametrize("how", ENDINGS)
def test_access_to_the_file_ends_with_the_referral(world, scene, how):
    relation, ended = ENDINGS[how]
    _end(world, scene, how)
    officer, case, referral = world.officer_police, scene["referred"], scene["to_police"]
    got = {action: outcome(officer, action, case) for action in Action}
    assert got == expected_on(relation, ON_FILE.get(relation, set()))
    assert recipient_access(case, referral).ended == ended
    # She keeps the referral's record (dates, status) for her own work, whatever happened.
    assert outcome(officer, A.REFERRAL_READ, referral) == OK
    # The other recipients of the file are not affected by what happened to the police's referral.
    assert case_access(world.cw_b, case).relation == ("none" if how == "file_closed" else "recipient")


def test_reading_is_cut_by_the_consent_covering_the_referrals_own_need(world):
    """Association B offers legal aid and a shelter; a shelter consent does not open a legal referral."""
    case = make_case(world.cw_a)
    legal = consent_and_refer(world.cw_a, case, world.service(world.assoc_b, ServiceCategory.LEGAL))
    from referral.services.consents import record_consent

    with as_user(world.cw_a):
        record_consent(world.cw_a, case, fields=["name", "contact", "narrative"],
                       service_category=ServiceCategory.SHELTER)
        db.session.commit()
    assert case_access(world.cw_b, case).fields == {"name", "contact"}  # not the narrative
    _withdraw_agency_consent(world, case, world.assoc_b)
    assert recipient_access(case, legal).ended == "no_consent"
    assert case_access(world.cw_b, case) == Decision(False, "none")


def _withdraw_agency_consent(world, case, agency) -> None:
    with as_user(world.cw_a):
        for consent in db.session.query(Consent).filter_by(case_id=case.id, agency_id=agency.id):
            withdraw_consent(world.cw_a, case, consent)
        db.session.commit()
