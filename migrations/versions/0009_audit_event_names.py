"""audit event names: one style, "area.event" (focus_groups.study_created, surveys.published, auth.signed_in)

Earlier entries were named two ways ("survey-imported" beside "focus_groups.study_created"). Stored entries
are renamed, so the audit log's filter lists one name per event and old entries read like new ones.

Revision ID: 0009_audit_event_names
Revises: 0008_survey_access
Create Date: 2026-12-04 20:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_audit_event_names'
down_revision = '0008_survey_access'
branch_labels = None
depends_on = None

# Frozen here (a migration never imports the app): old name -> new name.
RENAMES = {
    "sign-in": "auth.signed_in",
    "sign-in-failed": "auth.sign_in_failed",
    "sign-in-password-accepted": "auth.password_accepted",
    "sign-in-code-failed": "auth.sign_in_code_failed",
    "sign-in-alert-sent": "auth.sign_in_alert_sent",
    "sign-in-code-alert-sent": "auth.sign_in_code_alert_sent",
    "sign-out": "auth.signed_out",
    "password-changed": "auth.password_changed",
    "password-reset-requested": "auth.password_reset_requested",
    "password-reset": "auth.password_reset",
    "reauthenticated": "auth.reauthenticated",
    "reauthentication-failed": "auth.reauthentication_failed",
    "invitation-accepted": "auth.invitation_accepted",
    "mfa-enrolled": "auth.mfa_enrolled",
    "mfa-disabled": "auth.mfa_disabled",
    "mfa-reset": "auth.mfa_reset",
    "mfa-recovery-code-used": "auth.mfa_recovery_code_used",
    "mfa-recovery-codes-regenerated": "auth.mfa_recovery_codes_regenerated",
    "access-refused": "security.access_refused",
    "csrf-check-failed": "security.csrf_check_failed",
    "person-invited": "people.person_invited",
    "person-updated": "people.person_updated",
    "person-disabled": "people.person_disabled",
    "person-enabled": "people.person_enabled",
    "person-erased": "people.person_erased",
    "roles-changed": "people.roles_changed",
    "invitation-resent": "people.invitation_resent",
    "organisation-created": "organisations.organisation_created",
    "organisation-updated": "organisations.organisation_updated",
    "organisation-deleted": "organisations.organisation_deleted",
    "organisations-imported": "organisations.imported",
    "personal-data-exported": "privacy.personal_data_exported",
    "survey-access-changed": "surveys.access_changed",
    "survey-created": "surveys.created",
    "survey-dates-changed": "surveys.dates_changed",
    "survey-definition-exported": "surveys.definition_exported",
    "survey-draft-changed": "surveys.draft_changed",
    "survey-exported": "surveys.exported",
    "survey-impact-exported": "surveys.impact_exported",
    "survey-imported": "surveys.imported",
    "survey-invitation-revoked": "surveys.invitation_revoked",
    "survey-invitation-sent": "surveys.invitation_sent",
    "survey-member-comparison": "surveys.member_comparison_viewed",
    "survey-published": "surveys.published",
    "survey-reminder-sent": "surveys.reminder_sent",
    "survey-response-started": "surveys.response_started",
    "survey-response-submitted": "surveys.response_submitted",
    "survey-response-changed": "surveys.response_changed",
    "survey-tampered-request": "surveys.tampered_request",
}


_audit = sa.table("audit_event", sa.column("action", sa.String))


def _rename(pairs):
    for old, new in pairs:
        op.execute(_audit.update().where(_audit.c.action == old).values(action=new))


def upgrade():
    _rename(RENAMES.items())


def downgrade():
    _rename((new, old) for old, new in RENAMES.items())
