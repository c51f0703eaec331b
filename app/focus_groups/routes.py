"""The focus-group pages, one module per part of the work."""

from app.focus_groups import models  # noqa: F401 - the tables, for migrations
from app.focus_groups.composition import routes as composition_routes  # noqa: F401
from app.focus_groups.notes import models as notes_models  # noqa: F401 - the session-notes tables, for migrations
from app.focus_groups.notes import routes as notes_routes  # noqa: F401
from app.focus_groups.recruitment import member_routes  # noqa: F401
from app.focus_groups.recruitment import models as recruitment_models  # noqa: F401 - for migrations
from app.focus_groups.recruitment import routes as recruitment_routes  # noqa: F401
from app.focus_groups.scheduling import routes as scheduling_routes  # noqa: F401
from app.focus_groups.studies import routes as studies_routes  # noqa: F401
