"""Scheduling focus-group sessions: confirming a group, invitations with calendar files, answers,
reserves promoted, changes and cancellations, staff, attendance, reminders and withdrawals."""
