"""Inviting organisations to a survey, reminding them, and tracking who has answered."""
