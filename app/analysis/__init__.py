"""The analysis: codebook, theme tagging, review and agreement."""
