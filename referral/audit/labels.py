"""What the access log's codes mean, as phrases an auditor reads in her language.

The codes stay in the database, the CSV export and the API; the pages show these phrases, with
the code beside them for whoever needs to search or report it.
"""

from __future__ import annotations

from ..translation import lazy_gettext as _l

ACTIONS = {
    "access.denied": _l("Refused access"),
    "shelter.capacity_set": _l("Declared a shelter's places"),
    "stay.admit": _l("Admitted a woman to a shelter"),
    "stay.exit": _l("Recorded the exit from a shelter"),
    "stay.extension_approve": _l("Approved the extension of a stay"),
    "stay.extension_refuse": _l("Refused the extension of a stay"),
    "stay.extension_request": _l("Asked for the extension of a stay"),
    "stay.service_given": _l("Recorded an essential service given in a shelter"),
    "stay.service_overdue": _l("Alerted on an overdue essential service"),
    "hot_case.flag": _l("Flagged a hot case"),
    "hot_case.list": _l("Listed the hot cases"),
    "hot_case.read": _l("Read a hot case"),
    "hot_case.follow_up": _l("Added a follow-up decision to a hot case"),
    "hot_case.review": _l("Reviewed a hot case"),
    "hot_case.close": _l("Closed a hot case"),
    "hot_case.remind": _l("Reminded the coalition of a hot case's review"),
    "account.approval_cancel": _l("Cancelled an account request"),
    "account.approval_grant": _l("Approved an account change"),
    "account.approval_refuse": _l("Refused an account change"),
    "account.approval_request": _l("Asked for an account change"),
    "account.logout_everywhere": _l("Logged out everywhere"),
    "account.operator_designate_lead": _l("Made a lead (server operator)"),
    "account.password_changed": _l("Changed her password"),
    "account.second_factor_enrolled": _l("Set up her second factor"),
    "account.session_revoked": _l("Ended a session"),
    "admin.bootstrap": _l("Created the first administrator"),
    "admin.email_requeue": _l("Queued emails again"),
    "admin.emergency_rules_change": _l("Changed who may ask for emergency access"),
    "admin.lead_remove": _l("Removed a lead"),
    "admin.password_reset": _l("Reset a password"),
    "admin.second_factor_reset": _l("Reset a second factor"),
    "admin.user_create": _l("Created an account"),
    "admin.user_disable": _l("Disabled an account"),
    "admin.user_enable": _l("Enabled an account"),
    "api.token_rejected": _l("API key refused"),
    "api_token.create": _l("Created an API key"),
    "api_token.revoke": _l("Revoked an API key"),
    "attachment.create": _l("Added an attachment"),
    "attachment.list": _l("Listed the attachments"),
    "attachment.read": _l("Opened an attachment"),
    "audit.export": _l("Exported the access log"),
    "audit.sign": _l("Signed the access log"),
    "case.break_glass_approve": _l("Approved an emergency access"),
    "case.break_glass_read": _l("Emergency access to a file"),
    "case.break_glass_request": _l("Asked for emergency access (over the daily limit)"),
    "case.close": _l("Closed a file"),
    "case.create": _l("Opened a file"),
    "case.anonymous": _l("Recorded an anonymous case"),
    "task.create": _l("Planned a follow-up"),
    "task.done": _l("Marked a follow-up done"),
    "task.cancelled": _l("Cancelled a follow-up"),
    "task.read": _l("Read the follow-ups of a file"),
    "directory.region_create": _l("Created a region of the directory"),
    "directory.hsds_export": _l("Downloaded the directory in HSDS"),
    "directory.hsds_import": _l("Imported the directory from an HSDS file"),
    "partner.link_issue": _l("Printed a referral letter for a partner outside Masar"),
    "partner.link_revoke": _l("Stopped a partner's letter address"),
    "partner.read": _l("A partner outside Masar read its referral"),
    "partner.letter": _l("Printed what a partner outside Masar receives of a file"),
    "supervision.erasure_done": _l("Erased a file at her request"),
    "supervision.steps": _l("Chose the steps that need the supervisor's approval"),
    "supervision.request": _l("Asked the supervisor to approve a step on a file"),
    "supervision.approved": _l("Approved a step on a file as supervisor"),
    "supervision.returned": _l("Returned a step on a file with comments"),
    "calendar.feed_issue": _l("Made a new calendar feed address"),
    "calendar.feed_revoke": _l("Stopped a calendar feed"),
    "plan.goal_add": _l("Added a goal to a survivor's plan"),
    "plan.goal_update": _l("Changed a goal of a survivor's plan"),
    "plan.goal_achieved": _l("Marked a goal of a plan achieved"),
    "plan.goal_dropped": _l("Dropped a goal of a plan"),
    "plan.read": _l("Read the plan of a file"),
    "library.create": _l("Wrote a page of the awareness library"),
    "library.update": _l("Changed a page of the awareness library"),
    "library.publish": _l("Published a page of the awareness library"),
    "library.unpublish": _l("Unpublished a page of the awareness library"),
    "library.delete": _l("Deleted a page of the awareness library"),
    "case.duplicate_detected": _l("Possible duplicate file"),
    "case.list": _l("Listed files"),
    "case.read": _l("Read a file"),
    "case.reopen": _l("Reopened a file"),
    "case.search": _l("Searched the files"),
    "case.shred": _l("Erased a file for good"),
    "case.stalled": _l("File without activity"),
    "case.update": _l("Changed a file"),
    "consent.record": _l("Recorded a consent"),
    "consent.withdraw": _l("Withdrew a consent"),
    "dashboard.export": _l("Exported the response times"),
    "observatory.report": _l("Read the observatory's report"),
    "observatory.export": _l("Downloaded the observatory's report"),
    "observatory.indicators_version": _l("Made a new version of the observatory's form"),
    "directory.agency_create": _l("Added an agency"),
    "directory.agency_update": _l("Changed an agency"),
    "directory.holiday_create": _l("Added a holiday"),
    "directory.holiday_delete": _l("Removed a holiday"),
    "directory.service_create": _l("Added a service"),
    "directory.service_update": _l("Changed a service"),
    "keys.rotate": _l("Rotated the keys"),
    "login.password_failed": _l("Wrong password"),
    "login.recovery_code_used": _l("Logged in with a recovery code"),
    "login.second_factor_failed": _l("Wrong second-factor code"),
    "login.success": _l("Logged in"),
    "login.throttled": _l("Login blocked after too many attempts"),
    "note.create": _l("Wrote a note"),
    "note.read": _l("Read the notes"),
    "referral.accept": _l("Accepted a referral"),
    "referral.acknowledge": _l("Acknowledged a referral"),
    "referral.complete": _l("Completed a referral"),
    "referral.decline": _l("Declined a referral"),
    "referral.info_provided": _l("Provided the information asked"),
    "referral.info_request": _l("Asked for more information"),
    "referral.read": _l("Read a referral"),
    "referral.reassign": _l("Sent a declined referral on"),
    "referral.remind": _l("Sent a reminder"),
    "referral.return": _l("Returned a referral"),
    "referral.send": _l("Sent a referral"),
    "referral.start": _l("Started care"),
    "referral.withdraw": _l("Withdrew a referral"),
    "report.add_information": _l("The reporter added information"),
    "report.alert_authority": _l("Alerted an authority about a public report"),
    "report.anonymous_case": _l("Recorded a public report as an anonymous case"),
    "report.claim": _l("Took charge of a public report"),
    "report.close": _l("Closed a public report"),
    "report.message": _l("Wrote to the reporter"),
    "report.open_file": _l("Opened a file from a public report"),
    "report.read": _l("Read a public report"),
    "report.status_read": _l("The reporter read her report's status"),
    "report.submit": _l("A public report was received"),
    "risk.assess": _l("Assessed the risk"),
    "sla.breach": _l("Time limit passed"),
    "sla.escalation": _l("Escalated an overdue referral"),
    "sla.policy_update": _l("Changed a time limit"),
}

#: Identity fields named in events (the columns of `models.case.IDENTITY_COLUMNS`).
FIELDS = {
    "full_name": _l("name"),
    "phone": _l("phone"),
    "address": _l("address"),
    "contact_instructions": _l("safe contact instructions"),
    "national_id": _l("national ID"),
    "date_of_birth": _l("date of birth"),
    "narrative": _l("account of the violence"),
    "risk_level": _l("risk level"),
    "messages": _l("messages"),
    "contact": _l("contact details"),
    "body": _l("text of the note"),
    "note": _l("note of a follow-up"),
}

PURPOSES = {
    "view": _l("to work on the file"),
    "print": _l("to print a summary of the file"),
    "history": _l("to read the file's history"),
    "update": _l("to change the file"),
    "edit": _l("to change the file"),
    "referral": _l("for a referral"),
    "break_glass": _l("emergency access"),
    "break_glass_view": _l("emergency access"),
}

OBJECTS = {
    "agency": _l("agency"),
    "api_token": _l("API key"),
    "attachment": _l("attachment"),
    "audit_checkpoint": _l("log signature"),
    "audit_log": _l("access log"),
    "case": _l("file"),
    "consent": _l("consent"),
    "email_outbox": _l("email"),
    "emergency_eligibility": _l("emergency access rules"),
    "holiday": _l("holiday"),
    "note": _l("note"),
    "case_task": _l("follow-up"),
    "public_report": _l("public report"),
    "referral": _l("referral"),
    "risk_assessment": _l("risk assessment"),
    "service": _l("service"),
    "sla_policy": _l("time limit"),
    "stay": _l("shelter stay"),
    "stayextension": _l("extension of a stay"),
    "user": _l("account"),
}

#: The action filter: what an auditor looks for, and the start of the codes it matches.
ACTION_GROUPS = (
    ("case.read", _l("Reading a file")),
    ("case.break_glass", _l("Emergency access")),
    ("case.", _l("Everything on files")),
    ("referral.", _l("Referrals")),
    ("consent.", _l("Consent")),
    ("note.", _l("Notes")),
    ("attachment.", _l("Attachments")),
    ("risk.", _l("Risk assessments")),
    ("report.", _l("Public reports")),
    ("access.denied", _l("Refused accesses")),
    ("login.", _l("Logins")),
    ("account.", _l("Accounts and approvals")),
    ("admin.", _l("Administration")),
    ("directory.", _l("Service directory")),
    ("sla.", _l("Time limits")),
    ("audit.", _l("The access log itself")),
    ("keys.", _l("Keys")),
)


def _phrase(table: dict, code: str | None) -> str:
    if not code:
        return ""
    return str(table[code]) if code in table else code


def action_phrase(code: str | None) -> str:
    return _phrase(ACTIONS, code)


def field_phrase(code: str | None) -> str:
    return _phrase(FIELDS, code)


def purpose_phrase(code: str | None) -> str:
    return _phrase(PURPOSES, code)


def object_phrase(code: str | None) -> str:
    return _phrase(OBJECTS, code)
