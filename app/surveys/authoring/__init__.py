"""Authoring a survey: its definition, the builder, XLSForm import and the survey's settings."""
