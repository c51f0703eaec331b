"""Tests of the analysis: codebook, REFI-QDA files, tagging, evaluation and the CLI."""
