"""The seams between the layers hold (docs/architecture.md): a failing test here names the import that crosses one.

platform (app/*.py, audit, auth, email, jobs, main, organisations, people)
  → features (surveys, focus_groups), which never import each other
    → cross-feature duties (privacy) and the analysis, which read the features

Every import is checked, including those inside functions, which a lazy import used to hide. Modules stay
short, and so do views.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"
FEATURES = ("surveys", "focus_groups")
ABOVE_FEATURES = ("privacy", "analysis")
PLATFORM_PACKAGES = ("audit", "auth", "email", "jobs", "main", "organisations", "people")
COMPOSITION_ROOT = ("__init__", "cli", "demo")  # app/__init__.py, app/cli.py, app/demo.py wire everything together
MAX_LINES = 500
LONG_MODULE_REASON = "Longer than 500 lines because"
MAX_VIEW_LINES = 45  # a view fits on a screen: parse, call one service, render (the longest is 38 today)


def _modules(app_dir: Path = APP) -> list[Path]:
    return sorted(p for p in app_dir.rglob("*.py") if "static" not in p.parts)


def _dotted(path: Path, app_dir: Path = APP) -> str:
    parts = list(path.relative_to(app_dir.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) for every import in the file, however deeply nested."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module, [alias.name for alias in node.names]))
    return found


def _top(module: str) -> str | None:
    """The package under app/ a module belongs to ("surveys" for app.surveys.results), or None outside app."""
    parts = module.split(".")
    if parts[0] != "app":
        return None
    return parts[1] if len(parts) > 1 else ""


def _layer(path: Path, app_dir: Path) -> str:
    top = _top(_dotted(path, app_dir))
    if top in FEATURES:
        return top
    if top in ABOVE_FEATURES:
        return "above"
    if top in COMPOSITION_ROOT or top == "":
        return "root"
    return "platform"


def _crossings(app_dir: Path = APP) -> list[str]:
    problems = []
    for path in _modules(app_dir):
        layer = _layer(path, app_dir)
        if layer == "root":
            continue
        where = path.relative_to(app_dir.parent)
        for line, module, names in _imports(path):
            target = _top(module)
            if target is None:
                continue
            if target == "" and layer != "above":
                # `from app import x` reaches into the app factory's module (or hides which module is meant).
                problems.append(f"{where}:{line} imports from the app factory: from app import {', '.join(names)}")
            if layer in FEATURES and target in FEATURES and target != layer:
                problems.append(f"{where}:{line} ({layer}) imports another feature: {module}")
            if layer in FEATURES and target in ABOVE_FEATURES:
                problems.append(f"{where}:{line} ({layer}) imports a layer above the features: {module}")
            if layer == "platform" and target in FEATURES:
                problems.append(f"{where}:{line} (platform) imports a feature: {module}")
            if layer == "platform" and target == "analysis":
                problems.append(f"{where}:{line} (platform) imports the analysis: {module}")
    return problems


def test_no_import_crosses_a_seam():
    assert _crossings() == []


def test_the_guard_sees_a_crossing(tmp_path):
    """The guard is not vacuous: a feature module importing the other feature, lazily, is caught."""
    fake_app = tmp_path / "app"
    (fake_app / "surveys").mkdir(parents=True)
    (fake_app / "focus_groups").mkdir()
    (fake_app / "surveys" / "results.py").write_text(
        "def f():\n    from app.focus_groups.services import recruiting_study\n    from app import LONDON\n"
    )
    (fake_app / "focus_groups" / "services.py").write_text("from app.analysis.themes import tag\n")
    (fake_app / "auth").mkdir()
    (fake_app / "auth" / "routes.py").write_text("import app.surveys.models\n")
    problems = _crossings(fake_app)
    assert any("imports another feature: app.focus_groups.services" in p for p in problems)
    assert any("from app import LONDON" in p for p in problems)
    assert any("imports a layer above the features: app.analysis.themes" in p for p in problems)
    assert any("(platform) imports a feature: app.surveys.models" in p for p in problems)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(APP.parent)))
def test_modules_are_short_or_say_why(path):
    lines = path.read_text(encoding="utf-8").count("\n")
    if lines <= MAX_LINES:
        return
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    assert LONG_MODULE_REASON in docstring, (
        f"{path.relative_to(APP.parent)} has {lines} lines: split it by job, or say at its top "
        f'"{LONG_MODULE_REASON} ..."'
    )


def _route_modules(app_dir: Path = APP) -> list[Path]:
    return [p for p in _modules(app_dir) if p.name == "routes.py" or p.name.endswith("_routes.py")]


def _long_views(app_dir: Path = APP, limit: int = MAX_VIEW_LINES) -> list[str]:
    """Every function at the top of a routes module (the views, and the page helpers views hand a whole
    page to) longer than `limit` lines, counted from its `def` to its last line."""
    problems = []
    for path in _route_modules(app_dir):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            length = node.end_lineno - node.lineno + 1
            if length > limit:
                problems.append(
                    f"{path.relative_to(app_dir.parent)}:{node.lineno} {node.name}() has {length} lines (at most "
                    f"{limit}): let the route parse its input, call one service (a plain function in the "
                    "sub-package that tests can call without a request) and render the outcome"
                )
    return problems


def test_views_fit_on_a_screen():
    assert _long_views() == []


def test_the_guard_sees_a_long_view(tmp_path):
    """The view guard is not vacuous: a long view in a routes module is named; other modules are not its business."""
    fake_app = tmp_path / "app"
    (fake_app / "surveys" / "answering").mkdir(parents=True)
    body = "".join(f"    x{n} = {n}\n" for n in range(MAX_VIEW_LINES))
    view = f"@bp.route('/')\ndef page():\n{body}    return x0\n"
    (fake_app / "surveys" / "answering" / "routes.py").write_text(view)
    (fake_app / "surveys" / "answering" / "pages.py").write_text(view)
    (fake_app / "surveys" / "builder_routes.py").write_text("def short():\n    return 1\n")
    problems = _long_views(fake_app)
    assert problems == [
        f"app/surveys/answering/routes.py:2 page() has {MAX_VIEW_LINES + 2} lines (at most {MAX_VIEW_LINES}): "
        "let the route parse its input, call one service (a plain function in the sub-package that tests can "
        "call without a request) and render the outcome"
    ]


# Demo loaders write demo content step by step; retention ends a read before its batches (it says why).
COMMITS_ALLOWED = {"app/demo.py", "app/surveys/demo.py", "app/focus_groups/demo.py", "app/privacy/retention.py"}


def test_services_own_their_transactions():
    """Writes go through write_transaction() (app/database.py): nothing else calls db.session.commit()."""
    root = Path(__file__).resolve().parent.parent
    offenders = [
        str(path.relative_to(root))
        for path in sorted((root / "app").rglob("*.py"))
        if "db.session.commit()" in path.read_text(encoding="utf-8")
        and str(path.relative_to(root)) not in COMMITS_ALLOWED
    ]
    assert offenders == [], f"use write_transaction() instead of db.session.commit() in {offenders}"
