"""Translated labels for the domain's vocabularies, for pages, emails and exports."""

from __future__ import annotations

from .translation import lazy_gettext as _l

LABELS = {
    # Roles
    "caseworker": _l("Caseworker"),
    "officer": _l("Officer"),
    "coordinator": _l("Coordinator"),
    "auditor": _l("Auditor"),
    "admin": _l("Administrator"),
    "lead": _l("Agency lead"),
    # Account changes a lead approves
    "create": _l("New account"),
    "enable": _l("Re-enable the account"),
    "reset_password": _l("Reset the password"),
    "reset_second_factor": _l("Reset the second factor"),
    "grant_lead": _l("Make her a lead"),
    # Referral statuses
    "draft": _l("Draft"),
    "sent": _l("Sent"),
    "acknowledged": _l("Acknowledged"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "awaiting_info": _l("Awaiting information"),
    "in_progress": _l("In progress"),
    "completed": _l("Completed"),
    "returned": _l("Returned"),
    "withdrawn": _l("Withdrawn"),
    # Urgency
    "emergency": _l("Emergency"),
    "urgent": _l("Urgent"),
    "standard": _l("Standard"),
    # Case status
    "open": _l("Open"),
    "closed": _l("Closed"),
    # Languages a service is received in (keys prefixed: "fr" alone is not a word of ours)
    "language.ar": _l("Arabic (and Darija)"),
    "language.zgh": _l("Tamazight"),
    "language.fr": _l("French"),
    "language.en": _l("English"),
    "language.es": _l("Spanish"),
    # Accessibility of an agency's premises
    "step_free_access": _l("Step-free access"),
    "accessible_toilet": _l("Accessible toilet"),
    "sign_language": _l("Sign language"),
    # Service categories
    "medical": _l("Medical care"),
    "post_rape_care": _l("Post-rape medical care"),
    "legal": _l("Legal aid"),
    "police_protection": _l("Police protection"),
    "prosecution": _l("Public prosecution"),
    "shelter": _l("Shelter"),
    "psychosocial": _l("Psychosocial support"),
    "social": _l("Social services"),
    "economic": _l("Economic empowerment"),
    # Agency kinds
    "association": _l("Association"),
    "public_service": _l("Public service"),
    "network": _l("Network"),
    # Violence types (GBVIMS) and flags
    "rape": _l("Rape"),
    "sexual_assault": _l("Sexual assault"),
    "physical_assault": _l("Physical assault"),
    "forced_marriage": _l("Forced marriage"),
    "denial_of_resources": _l("Denial of resources, opportunities or services"),
    "psychological_abuse": _l("Psychological or emotional abuse"),
    "flag_economic": _l("Economic violence"),
    "flag_digital": _l("Digital violence"),
    # Consent for reporting (observatory statistics)
    "consent_yes": _l("Yes, she agrees"),
    "consent_no": _l("No, she refuses"),
    # Risk levels
    "risk_standard": _l("Standard risk"),
    "risk_medium": _l("Medium risk"),
    "risk_high": _l("High risk"),
    # Perpetrator relationship
    "intimate_partner": _l("Husband or partner"),
    "former_partner": _l("Former husband or partner"),
    "family_member": _l("Family member"),
    "acquaintance": _l("Acquaintance"),
    "employer": _l("Employer or colleague"),
    "stranger": _l("Stranger"),
    "unknown": _l("Unknown"),
    # Place of incident
    "home": _l("At home"),
    "public_space": _l("Public space"),
    "workplace": _l("Workplace"),
    "school": _l("School or university"),
    "online": _l("Online"),
    # Intake channel
    "walk_in": _l("She came to us"),
    # Follow-ups of a file (models/task.py).
    # Hot cases: why a file is followed by the governorate's coalition, and what was decided
    "hot_high_risk": _l("High risk"),
    "hot_repeated_violence": _l("Repeated violence"),
    "hot_service_failure": _l("A public service failed her"),
    "hot_decision_follow_up": _l("Follow-up decision"),
    "hot_decision_review": _l("Review (schedules the next one)"),
    "hot_decision_close": _l("Close the hot case"),
    "task_call_back": _l("Call her back"),
    "task_accompany": _l("Accompany her"),
    "task_appointment": _l("Appointment"),
    "task_review_risk": _l("Review the risk assessment"),
    "task_other": _l("Other"),
    "task_status_open": _l("To do"),
    "task_status_done": _l("Done"),
    "task_status_cancelled": _l("Cancelled"),
    "hotline_report": _l("Hotline: report of violence"),
    "hotline_support": _l("Hotline: request for support or orientation"),
    "referred_in": _l("Referred by another agency"),
    "outreach": _l("Outreach"),
    # Closure reasons
    "needs_met": _l("Her needs were met"),
    "survivor_withdrew": _l("She chose to stop"),
    "lost_contact": _l("Contact lost"),
    "transferred": _l("Transferred to another association"),
    "duplicate": _l("Duplicate file"),
    "other": _l("Other"),
    # Decline reasons
    "out_of_scope": _l("Outside what we offer"),
    "no_capacity": _l("No capacity now"),
    "outside_area": _l("Outside our area"),
    "insufficient_information": _l("Not enough information"),
    "survivor_unreachable": _l("Could not reach her"),
    # Timers
    "timer_acknowledge": _l("Acknowledge"),
    "timer_decide": _l("Accept or decline"),
    "timer_first_action": _l("First action"),
    "timer_complete": _l("Completion"),
    "timer_clinical_pep": _l("HIV prophylaxis (72 h)"),
    "timer_clinical_ec": _l("Emergency contraception (120 h)"),
    # Transitions (button labels)
    "action_send": _l("Send"),
    "action_acknowledge": _l("Acknowledge receipt"),
    "action_accept": _l("Accept"),
    "action_decline": _l("Decline"),
    "action_start": _l("Start care"),
    "action_complete": _l("Complete"),
    "action_return": _l("Return"),
    "action_withdraw": _l("Withdraw"),
    "action_info_request": _l("Ask for information"),
    "action_info_provided": _l("Provide information"),
    "action_remind": _l("Reminder from a coordinator"),
    "action_reassign": _l("Sent on by a coordinator"),
    # Timeline entries
    "event_opened": _l("File opened"),
    "event_closed": _l("File closed"),
    "event_reopened": _l("File reopened"),
    "event_case_close_requested": _l("Closure sent to the supervisor for approval"),
    "event_case_close_approved": _l("Closure approved by the supervisor"),
    "event_case_close_returned": _l("Closure returned by the supervisor"),
    "event_case_plan_requested": _l("Plan sent to the supervisor for approval"),
    "event_case_plan_approved": _l("Plan approved by the supervisor"),
    "event_case_plan_returned": _l("Plan returned by the supervisor"),
    "approval_pending": _l("Waiting"),
    "approval_approved": _l("Approved"),
    "approval_refused": _l("Returned with comments"),
    "approval_cancelled": _l("Cancelled"),
    "approval_expired": _l("Expired"),
    "step_shred_request": _l("Erasing a file at her request"),
    "event_shred_request_requested": _l("She asked that her file be erased"),
    "event_shred_request_approved": _l("Erasure approved by the supervisor"),
    "event_shred_request_returned": _l("Erasure returned by the supervisor"),
    "step_case_close": _l("Closing a file"),
    "step_case_plan": _l("Her plan"),
    "event_goal_added": _l("Goal added to her plan"),
    "event_goal_updated": _l("Goal of her plan changed"),
    "event_hot_case_flagged": _l("Flagged as a hot case for the governorate's coalition"),
    "event_hot_case_closed": _l("The coalition closed the hot case"),
    "event_goal_achieved": _l("Goal achieved"),
    "event_goal_dropped": _l("Goal dropped"),
    # The case plan
    "goal_area_safety": _l("Safety"),
    "goal_area_health": _l("Health"),
    "goal_area_legal": _l("Legal"),
    "goal_area_shelter": _l("Shelter"),
    "goal_area_economic": _l("Economic"),
    "goal_area_psychosocial": _l("Psychosocial"),
    "goal_status_open": _l("In progress"),
    "goal_status_achieved": _l("Achieved"),
    "goal_status_dropped": _l("Dropped"),
    "event_consent_recorded": _l("Consent recorded"),
    "event_consent_withdrawn": _l("Consent withdrawn"),
    "event_risk_assessed": _l("Risk assessed"),
    "event_note": _l("Note added"),
    # Why a receiving agency's access to her data ended
    "access_ended_declined": _l("the referral was declined"),
    "access_ended_withdrawn": _l("the referral was withdrawn"),
    "access_ended_returned": _l("the referral was returned"),
    "access_ended_completed": _l("the period after completion is over"),
    "access_ended_file_closed": _l("the file was closed"),
    "access_ended_no_consent": _l("no consent covers this referral any more"),
    # Shared field groups
    "name": _l("Name"),
    "contact": _l("Phone, address and safe contact instructions"),
    "national_id": _l("National ID number"),
    "date_of_birth": _l("Date of birth"),
    "narrative": _l("Account of the violence"),
    "risk_assessment": _l("Risk assessment"),
    # Reports from the public: who writes, and the stages she sees
    "reporter.concerned": _l("It happened to me"),
    "reporter.witness": _l("I saw it or know about it (witness)"),
    "report.received": _l("Received: waiting for an association of your region"),
    "report.in_progress": _l("Being handled by an association"),
    "report.passed_to_authority": _l("Passed to an authority"),
    "report.closed": _l("Closed"),
    "outcome.file_opened": _l("Survivor file opened"),
    "outcome.anonymous_case": _l("Recorded as an anonymous case"),
    "outcome.authority_alerted": _l("Authority alerted"),
    "outcome.not_actionable": _l("Not actionable"),
    "outcome.duplicate": _l("Duplicate of another report"),
    "outcome.unreachable": _l("Reporter could not be reached"),
    # Shelter stays
    "in_shelter": _l("In the shelter"),
    "exited": _l("Left the shelter"),
    "exit_own_home": _l("Her own home, without the perpetrator"),
    "exit_family": _l("Her family"),
    "exit_independent_housing": _l("Independent housing"),
    "exit_another_shelter": _l("Another shelter"),
    "exit_returned_to_partner": _l("Returned to her partner"),
    "exit_unknown": _l("Not known"),
    "outcome_goals_met": _l("The goals of the stay were met"),
    "outcome_partly_met": _l("The goals were partly met"),
    "outcome_left_early": _l("She left before the end"),
    "outcome_transferred": _l("Transferred to another institution"),
    "extension_pending": _l("Waiting for a colleague's approval"),
    "extension_approved": _l("Approved"),
    "extension_refused": _l("Refused"),
}


def label(value, prefix: str = "") -> str:
    """The translated label of a vocabulary value; the value itself if none is defined."""
    if value is None:
        return ""
    key = getattr(value, "value", value)
    return str(LABELS.get(f"{prefix}{key}", LABELS.get(key, key)))


def lazy_label(value, prefix: str = ""):
    """The label, still lazy: for choices declared at import time and rendered later."""
    key = getattr(value, "value", value)
    return LABELS.get(f"{prefix}{key}", LABELS.get(key, key))
