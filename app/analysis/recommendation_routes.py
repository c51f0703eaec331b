"""The recommendation pages: four evidence panels with scores and decisions, the decisions' history, the
scoring rules and their versions, and the lead analyst's sign-off and reopening (each behind a page that
asks first). The page shows scores and evidence; people decide (`recommendation.py`).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.analysis import bp
from app.analysis.models import DECISIONS, OUTCOMES
from app.analysis.recommendation import (
    RecommendationError,
    assess,
    current_decisions,
    current_rules,
    decision_history_query,
    known_measures,
    locked_by,
    missing_decisions,
    record_decision,
    reopen,
    rules_version,
    rules_versions,
    save_rules,
    sign_off,
    sign_off_history,
)
from app.analysis.recommendation_forms import DecisionForm, ReopenForm, RulesForm, SignOffForm
from app.auth.decorators import role_required
from app.auth.roles import ANALYSIS_LEADS, ANALYSTS
from app.extensions import db
from app.focus_groups.models import Study
from app.focus_groups.services import study_or_404

HISTORY_PER_PAGE = 20


def _page(study: Study, forms: dict[str, DecisionForm] | None = None, status: int = 200):
    forms = forms or {}
    decisions = current_decisions(study)
    for outcome in OUTCOMES:
        if outcome not in forms:
            forms[outcome] = DecisionForm(prefix=outcome, formdata=None)
            if outcome in decisions:
                forms[outcome].decision.data = decisions[outcome].decision
    page = render_template(
        "analysis/recommendation/index.html",
        study=study,
        assessment=assess(study),
        decisions=decisions,
        decision_labels=DECISIONS,
        outcomes=OUTCOMES,
        forms=forms,
        locked=locked_by(study),
        lead=current_user.has_role(*ANALYSIS_LEADS),
    )
    return page, status


@bp.route("/<int:study_id>/recommendation")
@role_required(*ANALYSTS)
def recommendation(study_id: int):
    """The four outcomes: each one's score, the rules stated, the evidence and quotes, and the decision."""
    return _page(study_or_404(study_id))


@bp.route("/<int:study_id>/recommendation/<outcome>", methods=["POST"])
@role_required(*ANALYSTS)
def recommendation_decide(study_id: int, outcome: str):
    """Record a decision on one outcome, with the rationale (refused while the recommendation is signed off)."""
    study = study_or_404(study_id)
    if outcome not in OUTCOMES:
        abort(404)
    form = DecisionForm(prefix=outcome)
    if not form.validate_on_submit():
        return _page(study, {outcome: form}, 400)
    try:
        record_decision(study, outcome, form.decision.data, form.rationale.data, by=current_user)
    except RecommendationError as error:
        form.decision.errors = [str(error)]
        return _page(study, {outcome: form}, 409)
    flash(f"Your decision on ‘{OUTCOMES[outcome]}’ is recorded.", "success")
    return redirect(url_for("analysis.recommendation", study_id=study.id, _anchor=f"outcome-{outcome}"))


@bp.route("/<int:study_id>/recommendation/history")
@role_required(*ANALYSTS)
def recommendation_history(study_id: int):
    """Every decision recorded, newest first, with who and when; and every sign-off and reopening."""
    study = study_or_404(study_id)
    outcome = request.args.get("outcome", "")
    outcome = outcome if outcome in OUTCOMES else ""
    page = db.paginate(
        decision_history_query(study, outcome or None),
        page=max(1, min(request.args.get("page", 1, type=int), 100_000)),
        per_page=HISTORY_PER_PAGE,
        error_out=False,
    )
    return render_template(
        "analysis/recommendation/history.html",
        study=study,
        page=page,
        outcome=outcome,
        outcomes=OUTCOMES,
        decision_labels=DECISIONS,
        sign_offs=sign_off_history(study),
    )


def _rules_page(study: Study, version, form: RulesForm | None = None, preview=None, status: int = 200):
    current = current_rules(study)
    return render_template(
        "analysis/recommendation/rules.html",
        study=study,
        version=version,
        current=current,
        assessment=assess(study, version.document if version.number != current.number else None, with_quotes=False),
        versions=rules_versions(study),
        measures=known_measures(study),
        form=form,
        preview=preview,
        locked=locked_by(study),
        lead=current_user.has_role(*ANALYSIS_LEADS),
    ), status


@bp.route("/<int:study_id>/recommendation/rules")
@role_required(*ANALYSTS)
def recommendation_rules(study_id: int):
    """The study's current scoring rules, stated readably, with every measure they can use and the versions."""
    study = study_or_404(study_id)
    return _rules_page(study, current_rules(study))


@bp.route("/<int:study_id>/recommendation/rules/versions/<int:number>")
@role_required(*ANALYSTS)
def recommendation_rules_version(study_id: int, number: int):
    """An earlier saved version of the rules, read-only, with the scores it would give today."""
    study = study_or_404(study_id)
    version = rules_version(study, number)
    if version is None:
        abort(404)
    return _rules_page(study, version)


@bp.route("/<int:study_id>/recommendation/rules/shipped")
@role_required(*ANALYSTS)
def recommendation_rules_shipped(study_id: int):
    """The rules shipped with the platform (version 0), read-only."""
    study = study_or_404(study_id)
    return _rules_page(study, rules_version(study, 0))


@bp.route("/<int:study_id>/recommendation/rules/edit", methods=["GET", "POST"])
@role_required(*ANALYSIS_LEADS)
def recommendation_rules_edit(study_id: int):
    """Edit the rules as TOML: "Preview" re-scores with them; "Save" keeps them as the next version."""
    study = study_or_404(study_id)
    current = current_rules(study)
    form = RulesForm()
    if request.method == "GET":
        form.document.data, form.base_version.data = current.document, str(current.number)
    if not form.validate_on_submit():
        return render_template(
            "analysis/recommendation/rules_edit.html",
            study=study,
            current=current,
            form=form,
            preview=None,
            locked=locked_by(study),
            measures=known_measures(study),
        ), (400 if request.method == "POST" else 200)
    preview = assess(study, form.document.data, with_quotes=False)
    if preview.problems:
        form.document.errors = list(preview.problems)
    elif request.form.get("action") == "save":
        try:
            row = save_rules(
                study, form.document.data, form.note.data, by=current_user, base_version=_number(form.base_version.data)
            )
        except RecommendationError as error:
            form.document.errors = [str(error)]
        else:
            flash(f"Version {row.number} of the scoring rules is saved; the outcomes are scored with it.", "success")
            return redirect(url_for("analysis.recommendation_rules", study_id=study.id))
    return render_template(
        "analysis/recommendation/rules_edit.html",
        study=study,
        current=current,
        form=form,
        preview=preview,
        locked=locked_by(study),
        measures=known_measures(study),
    ), (400 if form.document.errors else 200)


def _number(text: str | None) -> int:
    """The version number the form was opened on (-1 for anything that is not one: a conflict)."""
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 10 else -1


@bp.route("/<int:study_id>/recommendation/sign-off", methods=["GET", "POST"])
@role_required(*ANALYSIS_LEADS)
def recommendation_sign_off(study_id: int):
    """Ask the lead analyst to confirm the sign-off (listing any outcome still without a decision)."""
    study = study_or_404(study_id)
    form = SignOffForm()
    problem = None
    if form.validate_on_submit():
        try:
            sign_off(study, form.note.data, by=current_user)
        except RecommendationError as error:
            problem = str(error)
        else:
            flash("The recommendation is signed off and locked.", "success")
            return redirect(url_for("analysis.recommendation", study_id=study.id))
    return render_template(
        "analysis/recommendation/sign_off.html",
        study=study,
        form=form,
        problem=problem,
        missing=missing_decisions(study),
        decisions=current_decisions(study),
        decision_labels=DECISIONS,
        outcomes=OUTCOMES,
        locked=locked_by(study),
    ), (409 if problem else 400 if form.errors else 200)


@bp.route("/<int:study_id>/recommendation/reopen", methods=["GET", "POST"])
@role_required(*ANALYSIS_LEADS)
def recommendation_reopen(study_id: int):
    """Ask the lead analyst to confirm reopening a signed-off recommendation, with the reason."""
    study = study_or_404(study_id)
    form = ReopenForm()
    problem = None
    if form.validate_on_submit():
        try:
            reopen(study, form.reason.data, by=current_user)
        except RecommendationError as error:
            problem = str(error)
        else:
            flash("The recommendation is reopened: decisions and rules can change again.", "success")
            return redirect(url_for("analysis.recommendation", study_id=study.id))
    return render_template(
        "analysis/recommendation/reopen.html", study=study, form=form, problem=problem, locked=locked_by(study)
    ), (409 if problem else 400 if form.errors else 200)
