"""Recruiting volunteers for a study: the public volunteer form and its confirmed changes, recruitment
invitations to member organisations, the CSV import of volunteers, the pool dashboard and consent."""
