"""Setting up a focus-group study: its settings, discussion guide and candidate slots."""
