"""The focus-group pages, one module per part of the work."""

from app.focus_groups import (  # noqa: F401
    models,  # noqa: F401 - the tables, for migrations
    notes_models,  # noqa: F401 - the session-notes tables, for migrations
    notes_routes,
    scheduling_routes,
    setup_routes,
)
from app.focus_groups.composition import routes as composition_routes  # noqa: F401,E402
from app.focus_groups.recruitment import routes as recruitment_routes  # noqa: F401,E402
