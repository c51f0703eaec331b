"""The double-coding pages: rounds, blind coding by each of a round's two coders, agreement and resolution.

Each page parses its form and calls one service in `app.analysis.rounds`. The coding pages answer 403 to
anyone but the round's coder A or B (administrators included: nobody codes on another's behalf). While
a round is incomplete its own coders see neither figures nor disagreements, so neither learns the
other's codes; a lead who is not a coder of the round sees both coders' themes once both have coded.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination

from app.analysis import bp, rounds
from app.analysis.agreement import RELIABLE, TENTATIVE
from app.analysis.rounds_forms import CodingForm, ResolutionForm, RoundForm
from app.auth.decorators import role_required
from app.auth.roles import ANALYSIS_LEADS, ANALYSTS
from app.extensions import db
from app.focus_groups.services import study_or_404
from app.numbers import requested_page

ROUNDS_PER_PAGE = 20
DISAGREEMENTS_PER_PAGE = 10


class ListPagination(Pagination):
    """A page of a list already in memory, for the pagination macro (disagreements are found in Python:
    comparing two JSON columns is not portable between SQLite and PostgreSQL)."""

    def _query_items(self) -> list:
        items = self._query_args["items"]
        return items[self._query_offset : self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["items"])


def _is_lead() -> bool:
    return current_user.has_role(*ANALYSIS_LEADS)


def _may_compare(coding_round, round_progress) -> bool:
    """Whether the signed-in person may see figures and coders' themes: not while they code an unfinished round."""
    return rounds.coder_side(coding_round, current_user) is None or round_progress.complete


@bp.route("/<int:study_id>/rounds", endpoint="rounds")
@role_required(*ANALYSTS)
def rounds_index(study_id: int):
    """The study's double-coding rounds with each coder's progress; the rounds the viewer codes in first."""
    study = study_or_404(study_id)
    page = db.paginate(
        rounds.rounds_query(study, current_user),
        page=requested_page(request.args),
        per_page=ROUNDS_PER_PAGE,
        error_out=False,
    )
    return render_template(
        "analysis/rounds/index.html",
        study=study,
        page=page,
        progress=rounds.progress_of(r.id for r in page.items),
        side_of=lambda coding_round: rounds.coder_side(coding_round, current_user),
        is_lead=_is_lead(),
    )


@bp.route("/<int:study_id>/rounds/new", methods=["GET", "POST"])
@role_required(*ANALYSIS_LEADS)
def rounds_new(study_id: int):
    """Set up a round: a title, a sample size and two coders."""
    study = study_or_404(study_id)
    available = len(rounds.present_passages(study.id))
    form = RoundForm()
    form.set_coders(rounds.eligible_coders())
    if request.method == "GET":
        form.sample_size.data = rounds.default_sample_size(study) or ""
    if form.validate_on_submit():
        try:
            coding_round = rounds.create_round(
                study, form.title.data, form.sample_size.data, form.coder_a.data, form.coder_b.data, by=current_user
            )
        except rounds.RoundError as error:
            for name, message in error.problems.items():
                getattr(form, name).errors.append(message)
        else:
            flash(f"Round ‘{coding_round.title}’ set up with {coding_round.sample_size:,} passages.", "success")
            return redirect(url_for("analysis.rounds", study_id=study.id))
    return render_template("analysis/rounds/new.html", study=study, form=form, available=available)


@bp.route("/<int:study_id>/rounds/<int:round_id>/delete", methods=["GET", "POST"])
@role_required(*ANALYSIS_LEADS)
def rounds_delete(study_id: int, round_id: int):
    """Delete a round after confirmation (codes its resolutions applied stay on their passages)."""
    study = study_or_404(study_id)
    coding_round = rounds.round_or_404(study, round_id)
    if request.method == "POST":
        title = rounds.delete_round(coding_round, by=current_user)
        flash(f"Round ‘{title}’ deleted.", "success")
        return redirect(url_for("analysis.rounds", study_id=study.id))
    return render_template(
        "analysis/rounds/delete.html", study=study, round=coding_round, progress=rounds.progress(coding_round)
    )


def _coder_or_403(coding_round) -> str:
    side = rounds.coder_side(coding_round, current_user)
    if side is None:
        abort(403)
    return side


@bp.route("/<int:study_id>/rounds/<int:round_id>/code")
@role_required(*ANALYSTS)
def rounds_code(study_id: int, round_id: int):
    """The coder's next uncoded passage, or what is left to do once they have coded them all."""
    study = study_or_404(study_id)
    coding_round = rounds.round_or_404(study, round_id)
    side = _coder_or_403(coding_round)
    item = rounds.next_item(coding_round, side)
    if item is None:
        return render_template(
            "analysis/rounds/coded.html",
            study=study,
            round=coding_round,
            side=side,
            progress=rounds.progress(coding_round),
            items=coding_round.items,
        )
    return _coding_page(study, coding_round, side, item, CodingForm())


@bp.route("/<int:study_id>/rounds/<int:round_id>/items/<int:item_id>/code", methods=["GET", "POST"])
@role_required(*ANALYSTS)
def rounds_code_item(study_id: int, round_id: int, item_id: int):
    """Code one passage of the round (or change one's own earlier coding), blind."""
    study = study_or_404(study_id)
    coding_round = rounds.round_or_404(study, round_id)
    side = _coder_or_403(coding_round)
    item = rounds.item_or_404(coding_round, item_id)
    form = CodingForm()
    form.set_codebook(rounds.round_codebook(coding_round))
    if request.method == "GET":
        chosen = rounds.themes_of(item, side)
        form.themes.data = chosen or []
        form.none.data = chosen == []
    elif form.validate_on_submit():
        try:
            rounds.save_coding(item, side, form.themes.data, by=current_user)
        except rounds.RoundError as error:
            form.themes.errors = [*form.themes.errors, *error.problems.values()]
        else:
            return redirect(url_for("analysis.rounds_code", study_id=study.id, round_id=coding_round.id))
    return _coding_page(study, coding_round, side, item, form)


def _coding_page(study, coding_round, side, item, form):
    codebook = rounds.round_codebook(coding_round)
    if form.themes.choices is None:
        form.set_codebook(codebook)
    items = coding_round.items
    index = items.index(item)
    return render_template(
        "analysis/rounds/code.html",
        study=study,
        round=coding_round,
        item=item,
        side=side,
        form=form,
        codebook=codebook,
        progress=rounds.progress(coding_round),
        previous=items[index - 1] if index > 0 else None,
        following=items[index + 1] if index + 1 < len(items) else None,
        coded=rounds.themes_of(item, side) is not None,
    )


@bp.route("/<int:study_id>/rounds/<int:round_id>/agreement")
@role_required(*ANALYSTS)
def rounds_agreement(study_id: int, round_id: int):
    """Agreement figures over the items both coders have coded; for leads, the disagreements to resolve."""
    study = study_or_404(study_id)
    coding_round = rounds.round_or_404(study, round_id)
    round_progress = rounds.progress(coding_round)
    may_compare = _may_compare(coding_round, round_progress)
    codebook = rounds.round_codebook(coding_round)
    report = rounds.round_agreement(coding_round, codebook) if may_compare else None
    page = forms = None
    if may_compare and _is_lead():
        page = ListPagination(
            page=requested_page(request.args),
            per_page=DISAGREEMENTS_PER_PAGE,
            error_out=False,
            items=rounds.disagreements(coding_round),
        )
        forms = {item.id: _resolution_form(item, codebook) for item in page.items}
    return render_template(
        "analysis/rounds/agreement.html",
        study=study,
        round=coding_round,
        progress=round_progress,
        may_compare=may_compare,
        report=report,
        codebook=codebook,
        page=page,
        forms=forms,
        tentative=TENTATIVE,
        reliable=RELIABLE,
    )


def _resolution_form(item, codebook, formdata=None) -> ResolutionForm:
    form = ResolutionForm(formdata=formdata)
    form.set_codebook(codebook)
    if formdata is None:
        chosen = item.resolved_themes if item.resolved_at is not None else rounds.themes_of(item, "a")
        shared = set(chosen or []) & set(rounds.themes_of(item, "b") or [])
        form.themes.data = list(chosen) if item.resolved_at is not None else [s for s in codebook.slugs if s in shared]
        form.none.data = item.resolved_at is not None and not item.resolved_themes
        form.note.data = item.resolution_note or ""
    return form


@bp.route("/<int:study_id>/rounds/<int:round_id>/items/<int:item_id>/resolve", methods=["GET", "POST"])
@role_required(*ANALYSIS_LEADS)
def rounds_resolve(study_id: int, round_id: int, item_id: int):
    """Resolve one item both coders have coded: the agreed themes become the passage's accepted codes."""
    study = study_or_404(study_id)
    coding_round = rounds.round_or_404(study, round_id)
    item = rounds.item_or_404(coding_round, item_id)
    if not rounds.both_coded(item):
        abort(404)
    if not _may_compare(coding_round, rounds.progress(coding_round)):
        abort(403)
    codebook = rounds.round_codebook(coding_round)
    form = _resolution_form(item, codebook, request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        try:
            rounds.resolve(item, form.themes.data, form.note.data, by=current_user)
        except rounds.RoundError as error:
            for name, message in error.problems.items():
                getattr(form, name).errors = [*getattr(form, name).errors, message]
        else:
            flash(f"Passage {item.position} resolved: its agreed themes are now accepted codes.", "success")
            return redirect(_agreement_url(study, coding_round, requested_page(request.form, "return_page")))
    return render_template(
        "analysis/rounds/resolve.html", study=study, round=coding_round, item=item, form=form, codebook=codebook
    )


def _agreement_url(study, coding_round, page: int = 1) -> str:
    """The agreement page's list of disagreements (on the page the lead resolved from)."""
    args = {"page": page} if page > 1 else {}
    return url_for("analysis.rounds_agreement", study_id=study.id, round_id=coding_round.id, **args) + "#disagreements"
