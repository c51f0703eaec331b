"""The focus-group factories (a study with slots, volunteers), shared with tests/focus_groups."""

from tests.focus_groups.conftest import make_study, make_volunteer

__all__ = ["make_study", "make_volunteer"]
