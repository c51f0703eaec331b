"""The focus-group pages, one module per part of the work."""

from app.focus_groups import (  # noqa: F401
    composition_routes,
    models,  # noqa: F401 - the tables, for migrations
    recruitment_routes,
)
from app.focus_groups.notes import models as notes_models  # noqa: F401 - the session-notes tables, for migrations
from app.focus_groups.notes import routes as notes_routes  # noqa: F401
from app.focus_groups.scheduling import routes as scheduling_routes  # noqa: F401
from app.focus_groups.studies import routes as studies_routes  # noqa: F401
