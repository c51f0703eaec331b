"""The roles a person may hold (one person may hold several)."""

MEMBER = "member"
ORGANISER = "organiser"
FACILITATOR = "facilitator"
ANALYST = "analyst"
LEAD_ANALYST = "lead_analyst"
ADMIN = "admin"

#: Who runs the study: organisers, and administrators, who may do anything an organiser does.
MANAGERS = (ADMIN, ORGANISER)

#: Who edits the codebook and sets up double-coding: lead analysts, and administrators.
ANALYSIS_LEADS = (ADMIN, LEAD_ANALYST)

#: Everyone who works in the analysis pages.
ANALYSTS = (ADMIN, LEAD_ANALYST, ANALYST)

ROLES: dict[str, str] = {
    MEMBER: "Member",
    ORGANISER: "Organiser",
    FACILITATOR: "Facilitator",
    ANALYST: "Analyst",
    LEAD_ANALYST: "Lead analyst",
    ADMIN: "Administrator",
}

ROLE_HINTS: dict[str, str] = {
    MEMBER: "Answers surveys for their organisation",
    ORGANISER: "Runs the study: invitations, reminders, recruitment and scheduling",
    FACILITATOR: "Runs focus-group sessions and takes notes",
    ANALYST: "Reviews results, codes passages and records the recommendation",
    LEAD_ANALYST: "An analyst who also edits the codebook and sets up double-coding",
    ADMIN: "Manages people, organisations and the audit log",
}
