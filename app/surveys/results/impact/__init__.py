"""The service-user impact model: the statistics (model.py), the default pupil weight (weight.py) and the
plain-English sentences that report them (wording.py)."""
