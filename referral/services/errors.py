"""How a use case refuses what it was given, in the words both faces show.

A use case raises `InputError(field, code)` before it writes anything: `field` names the input (a
form field, an API body field), `code` is stable. The pages put `input_error_message(code)` at the
field and answer 422 with what was typed; the API answers a problem document naming the field with
the same message. The workflow engine's refusals (workflows/errors.py) use the same codes.
"""

from __future__ import annotations

from ..translation import lazy_gettext as _l


class InputError(ValueError):
    """A use case refused an input; nothing was written."""

    def __init__(self, field: str, code: str):
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


MESSAGES = {
    "required": _l("This field is required."),
    "unknown_value": _l("Choose a value from the list."),
    "bad_hours": _l("Write opening hours like 08:30-12:00, 14:00-16:30, each interval ending after it starts."),
    "never_open": _l("An agency must be open at least one day, or around the clock."),
    "taken": _l("This value is already used."),
    "too_large": _l("The file is larger than 10 MB."),
    "file_type": _l("Attach a PDF, an image, a text or a Word document."),
    "invalid_phone": _l("This is not a valid phone number."),
    "invalid_national_id": _l("This is not a valid ID number."),
    "unknown_field": _l("Unknown field."),
    "already_closed": _l("The file is already closed."),
    "not_closed": _l("The file is not closed."),
    "agency_or_category": _l("Choose either one agency or one kind of service."),
    "unknown_agency": _l("Choose an agency of the network."),
    "not_found": _l("Not found."),
    "already_withdrawn": _l("This consent was already withdrawn."),
    "unknown_question": _l("Unknown question."),
    "closed": _l("The file is closed: reopen it first."),
    "unknown_service": _l("Choose a service of the directory."),
    "own_agency": _l("You cannot refer to your own association."),
    "clinical_not_standard": _l("Post-rape care is time-critical: choose emergency or urgent."),
    "in_future": _l("This date is in the future."),
    "no_exact_match": _l("No single open file matches this name and number exactly. Nothing was opened."),
    "too_long": _l("This text is too long."),
    # The case plan and closure
    "open_goals": _l("Her plan still has open goals: say in the comment why the file closes with them (they will "
                     "be marked dropped)."),
    "not_open": _l("This is no longer open."),
    "stale_goal": _l("Someone else changed this goal since you opened it. Nothing was saved: check it, then try "
                     "again."),
    # Supervisor approvals
    "approval_pending": _l("This already waits for your supervisor's approval."),
    "no_supervisor": _l("Your association has no other lead to approve this. Ask your administrator."),
    "needs_approval": _l("Your association asks its supervisor to approve this step."),
    "no_goal": _l("Her plan has no goal in progress to approve."),
    "plan_changed": _l("Her plan changed since it was sent for approval: return it, and she sends it again."),
    "already_erased": _l("This file was already erased."),
    # The observatory
    "invalid_period": _l("Write a period as a year (2027), a quarter (2027-Q2) or a month (2027-05)."),
    "invalid_key": _l("Write a short code in lower-case letters, digits and underscores."),
    "national_only": _l("Only a national coordinator or an administrator changes the observatory's form."),
    "confirm_number": _l("Type the file's number exactly, to confirm."),
    # Hot cases
    "already_hot": _l("This file is already followed as a hot case."),
    "unknown_reference": _l("No referral you oversee has this reference."),
    "review_days": _l("Choose a review interval between 1 and 90 days."),
    "stale_hot_case": _l("Someone else added a decision since you opened this hot case. Nothing was saved: "
                         "read it, then try again."),
    # Partners outside Masar
    "not_external": _l("This agency has accounts in Masar: it answers in its inbox."),
    # The awareness library
    "bad_slug": _l("Use lower-case Latin letters, digits and hyphens, like know-your-rights."),
    "not_pdf": _l("Upload a PDF document."),
    "pdf_too_large": _l("The document is larger than 5 MB."),
    "unpublish_first": _l("Unpublish this page before deleting it."),
    "stale_library": _l("Someone else changed this page since you opened it. Nothing was saved: check it, then "
                        "try again."),
    # Shelter places and stays
    "more_than_beds": _l("Accessible rooms are counted among the beds: they cannot outnumber them."),
    "below_taken": _l("This is fewer than the places taken now."),
    "not_accepted": _l("Accept the referral before admitting her."),
    "no_places_declared": _l("This service has not declared its places."),
    "already_admitted": _l("She was already admitted from this referral."),
    "no_bed": _l("No bed is free in this shelter now."),
    "no_child_place": _l("Not enough places for children are free now."),
    "no_accessible_room": _l("No accessible room is free now."),
    "stay_ended": _l("This stay has ended."),
    "before_admission": _l("This date is before the admission."),
    "extension_pending": _l("An extension already waits for approval."),
    "already_decided": _l("This request was already decided."),
    "unknown_referral": _l("This referral cannot be replaced from this file."),
    "not_bounced": _l("Only a referral that came back can be sent elsewhere."),
    "already_replaced": _l("This referral was already sent elsewhere."),
    # Workflow guard codes
    "no_consent": _l("She has not consented to a referral to this agency. Record her consent first."),
    "beyond_consent": _l("Some of the information you chose is not covered by her consent."),
    "reason_required": _l("Choose a reason."),
    "unknown_reason": _l("Choose a reason from the list."),
    "message_required": _l("Write a message."),
    "invalid_transition": _l("This action is not possible in the referral's current state."),
    "unknown_action": _l("Unknown action."),
    "stale_version": _l("Someone else changed this referral since you opened it. Check its new state."),
    "concurrent_update": _l("Someone else changed this referral at the same moment. Check its new state."),
}


def input_error_message(code: str) -> str:
    return str(MESSAGES.get(code, _l("The request could not be completed.")))
