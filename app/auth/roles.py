"""The roles a person may hold (one person may hold several)."""

MEMBER = "member"
ORGANISER = "organiser"
FACILITATOR = "facilitator"
ANALYST = "analyst"
ADMIN = "admin"

#: Who runs the study: organisers, and administrators, who may do anything an organiser does.
MANAGERS = (ADMIN, ORGANISER)

ROLES: dict[str, str] = {
    MEMBER: "Member",
    ORGANISER: "Organiser",
    FACILITATOR: "Facilitator",
    ANALYST: "Analyst",
    ADMIN: "Administrator",
}

ROLE_HINTS: dict[str, str] = {
    MEMBER: "Answers surveys for their organisation",
    ORGANISER: "Runs the study: invitations, reminders, recruitment and scheduling",
    FACILITATOR: "Runs focus-group sessions and takes notes",
    ANALYST: "Reviews results and records the recommendation",
    ADMIN: "Manages people, organisations and the audit log",
}
