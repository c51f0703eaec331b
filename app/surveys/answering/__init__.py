"""Answering a survey: the pages a respondent goes through, who may answer, and saving and submitting answers."""
