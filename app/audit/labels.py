"""The audit log in words: a label for every action code the app records (`focus_groups.composed` is
"Focus groups proposed") and for every kind of object, so admins never have to read a code.

The codes stay what is stored and filtered on; only what people see changes. A test finds every action the
app records and fails if one has no label here.
"""

from __future__ import annotations

ACTION_LABELS: dict[str, str] = {
    # Accounts and security
    "auth.signed_in": "Signed in",
    "auth.signed_out": "Signed out",
    "auth.sign_in_failed": "Sign-in failed",
    "auth.sign_in_alert_sent": "Sign-in alert sent",
    "auth.sign_in_code_alert_sent": "Sign-in code alert sent",
    "auth.sign_in_code_failed": "Sign-in code refused",
    "auth.password_accepted": "Password accepted, waiting for the sign-in code",
    "auth.password_changed": "Password changed",
    "auth.password_reset": "Password reset",
    "auth.password_reset_requested": "Password reset asked for",
    "auth.invitation_accepted": "Invitation accepted",
    "auth.reauthenticated": "Identity confirmed again",
    "auth.reauthentication_failed": "Identity not confirmed",
    "auth.mfa_enrolled": "Two-factor authentication set up",
    "auth.mfa_disabled": "Two-factor authentication turned off",
    "auth.mfa_reset": "Two-factor authentication reset",
    "auth.mfa_recovery_code_used": "Recovery code used",
    "auth.mfa_recovery_codes_regenerated": "New recovery codes made",
    "security.access_refused": "Access refused",
    "security.csrf_check_failed": "Form refused (security check failed)",
    # People and organisations
    "people.person_invited": "Person invited",
    "people.invitation_resent": "Invitation sent again",
    "people.person_updated": "Person's details changed",
    "people.roles_changed": "Roles changed",
    "people.person_disabled": "Account turned off",
    "people.person_enabled": "Account turned on",
    "people.person_erased": "Person erased",
    "organisations.organisation_created": "Organisation added",
    "organisations.organisation_updated": "Organisation changed",
    "organisations.organisation_deleted": "Organisation deleted",
    "organisations.imported": "Organisations imported",
    # Privacy
    "privacy.personal_data_exported": "Personal data downloaded",
    "privacy.subject_access_exported": "Subject access request downloaded",
    "retention.applied": "Old personal data tidied away",
    # Operations
    "backup.made": "Backup of the database made",
    "backup.restored": "Database restored from a backup",
    # Surveys
    "surveys.created": "Survey created",
    "surveys.imported": "Survey imported",
    "surveys.draft_changed": "Survey draft changed",
    "surveys.published": "Survey published",
    "surveys.dates_changed": "Survey dates changed",
    "surveys.access_changed": "Survey sharing changed",
    "surveys.definition_exported": "Survey definition downloaded",
    "surveys.invitation_sent": "Survey invitation sent",
    "surveys.invitation_revoked": "Survey invitation withdrawn",
    "surveys.reminder_sent": "Survey reminder sent",
    "surveys.response_started": "Survey response started",
    "surveys.response_submitted": "Survey response submitted",
    "surveys.response_changed": "Survey response changed after submitting",
    "surveys.tampered_request": "Survey answer refused (the form had been altered)",
    "surveys.exported": "Survey responses downloaded",
    "surveys.impact_exported": "Impact model downloaded",
    "surveys.member_comparison_viewed": "Member viewed their comparison",
    # Focus groups
    "focus_groups.study_created": "Study created",
    "focus_groups.study_changed": "Study changed",
    "focus_groups.study_deleted": "Study deleted",
    "focus_groups.recruitment_invitation_sent": "Recruitment invitation sent",
    "focus_groups.member_invited": "Member who said yes in the survey invited",
    "focus_groups.volunteered": "Volunteered",
    "focus_groups.volunteers_imported": "Volunteers imported",
    "focus_groups.volunteer_changed": "Volunteer's details changed",
    "focus_groups.volunteer_change_requested": "Volunteer asked to change their details",
    "focus_groups.volunteer_withdrawn": "Volunteer withdrew",
    "focus_groups.volunteer_deleted": "Volunteer deleted",
    "focus_groups.composed": "Focus groups proposed",
    "focus_groups.moved": "Volunteer moved to another group",
    "focus_groups.lock": "Volunteer kept in or out of a group",
    "focus_groups.slot_added": "Session added",
    "focus_groups.slot_changed": "Session changed",
    "focus_groups.slot_rescheduled": "Session moved to another time",
    "focus_groups.slot_cancelled": "Session cancelled",
    "focus_groups.slot_deleted": "Session deleted",
    "focus_groups.slot_confirmed": "Session confirmed and invitations sent",
    "focus_groups.slot_staff_set": "Session facilitator or note-taker set",
    "focus_groups.slot_names_visible": "Participants' names shown to the note-taker",
    "focus_groups.reminder_sent": "Session reminder sent",
    "focus_groups.reserve_promoted": "Reserve offered a place",
    "focus_groups.attendance_recorded": "Attendance recorded",
    "focus_groups.guide_question_added": "Discussion guide question added",
    "focus_groups.guide_question_changed": "Discussion guide question changed",
    "focus_groups.guide_question_deleted": "Discussion guide question deleted",
    "focus_groups.guide_question_moved": "Discussion guide question moved",
    "focus_groups.note_added": "Note added",
    "focus_groups.note_edited": "Note edited",
    "focus_groups.note_deleted": "Note deleted",
    "focus_groups.note_restored": "Note restored",
    "focus_groups.notes_completed": "Session notes marked complete",
    "focus_groups.notes_reopened": "Session notes reopened",
    "focus_groups.notes_exported": "Session notes downloaded",
    "focus_groups.debrief_saved": "Debrief saved",
    "focus_groups.proportions_saved": "Proportion estimates saved",
    # Analysis
    "analysis.surveys_linked": "Surveys linked to a study",
    "analysis.study_tagged": "Study tagged with themes",
    "analysis.codebook_saved": "Codebook saved",
    "analysis.theme_changed": "Theme changed",
    "analysis.code_decided": "Suggested code accepted or rejected",
    "analysis.coded_by_hand": "Passage coded by hand",
    "analysis.round_created": "Coding round created",
    "analysis.round_deleted": "Coding round deleted",
    "analysis.round_item_coded": "Coding round passage coded",
    "analysis.round_item_resolved": "Coding round disagreement resolved",
    "analysis.qdpx_exported": "Project downloaded for other analysis software",
    "analysis.qdpx_imported": "Codes imported from other analysis software",
    "analysis.passages_exported": "Passages downloaded",
    "analysis.matrix_exported": "Matrix downloaded",
    "analysis.framework_cell_saved": "Framework matrix summary saved",
    "analysis.theme_summary_saved": "Theme summary saved",
    "analysis.quote_chosen": "Quote chosen",
    "analysis.quote_moved": "Quote moved",
    "analysis.quote_removed": "Quote removed",
    "analysis.scoring_rules_saved": "Scoring rules saved",
    "analysis.decision_recorded": "Recommendation decision recorded",
    "analysis.recommendation_signed_off": "Recommendation signed off",
    "analysis.recommendation_reopened": "Recommendation reopened",
    "analysis.report_downloaded": "Study report downloaded",
}

OBJECT_TYPE_LABELS: dict[str, str] = {
    "user": "Person",
    "organisation": "Organisation",
    "survey": "Survey",
    "response": "Survey response",
    "invitation": "Survey invitation",
    "study": "Study",
    "slot": "Session",
    "volunteer": "Volunteer",
    "placement": "Place in a group",
    "guidequestion": "Discussion guide question",
    "note": "Note",
    "sessionnotes": "Session notes",
    "codinground": "Coding round",
    "rounditem": "Coding round passage",
    "code": "Code",
    "codebookversion": "Codebook",
    "themesummary": "Theme summary",
    "chosenquote": "Quote",
    "frameworkcell": "Framework matrix cell",
    "scoringrules": "Scoring rules",
    "outcomedecision": "Recommendation decision",
    "signoff": "Recommendation sign-off",
    "endpoint": "Page",
    "retention": "Retention",
    "job": "Background job",
    "database": "Database",
}


def _humanise(code: str) -> str:
    words = code.replace(".", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else code


def action_label(code: str) -> str:
    """What an action code means, in words ("Focus groups proposed"); an unknown code is spelt out in words."""
    return ACTION_LABELS.get(code) or _humanise(code)


def object_type_label(code: str | None) -> str:
    """The kind of thing an event was about, in words ("Session" for `slot`)."""
    if not code:
        return ""
    return OBJECT_TYPE_LABELS.get(code) or _humanise(code)
