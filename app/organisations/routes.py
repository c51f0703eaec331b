"""Organisations pages (admins and organisers)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from app.auth.decorators import role_required
from app.auth.roles import ADMIN, MANAGERS
from app.extensions import db
from app.identifiers import get_or_404
from app.numbers import requested_page
from app.organisations import bp
from app.organisations.forms import ImportForm, OrganisationForm
from app.organisations.models import Organisation
from app.organisations.services import (
    IMPORT_COLUMNS,
    OrganisationError,
    delete_organisation,
    import_organisations_csv,
    save_organisation,
)
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.uploads import CSV_LIMITS, UploadRefused, read_upload


def _organisation(organisation_id: int) -> Organisation:
    return get_or_404(Organisation, organisation_id)


@bp.route("/")
@role_required(*MANAGERS)
def index():
    """Every organisation, filtered by name, region and council type, a page at a time."""
    query = select(Organisation).order_by(func.lower(Organisation.name))
    search = request.args.get("q", "").strip()
    region = request.args.get("region", "")
    council_type = request.args.get("council_type", "")
    if search:
        query = query.where(func.lower(Organisation.name).like(f"%{search.lower()}%"))
    if region in REGIONS:
        query = query.where(Organisation.region == region)
    if council_type in COUNCIL_TYPES:
        query = query.where(Organisation.council_type == council_type)
    page = db.paginate(query, page=requested_page(request.args), per_page=25, error_out=False)
    return render_template(
        "organisations/index.html",
        page=page,
        search=search,
        region=region,
        council_type=council_type,
        regions=REGIONS,
        council_types=COUNCIL_TYPES,
    )


def _form_page(org: Organisation | None):
    form = OrganisationForm(obj=org)
    if form.validate_on_submit():
        try:
            saved = save_organisation(
                org,
                name=form.name.data,
                region=form.region.data,
                council_type=form.council_type.data,
                contact_email=form.contact_email.data,
                by=current_user,
            )
        except OrganisationError as exc:
            form.name.errors = [*form.name.errors, str(exc)]
        else:
            flash(f"{saved.name} {'added' if org is None else 'saved'}.", "success")
            return redirect(url_for("organisations.index"))
    return render_template("organisations/form.html", form=form, org=org)


@bp.route("/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def create():
    """Add an organisation."""
    return _form_page(None)


@bp.route("/<int:organisation_id>/edit", methods=["GET", "POST"])
@role_required(*MANAGERS)
def edit(organisation_id: int):
    """Change an organisation's details."""
    return _form_page(_organisation(organisation_id))


@bp.route("/<int:organisation_id>/delete", methods=["GET", "POST"])
@role_required(ADMIN)
def delete(organisation_id: int):
    """Confirm, then delete an organisation that has no members."""
    org = _organisation(organisation_id)
    if request.method == "POST":
        try:
            delete_organisation(org, by=current_user)
        except OrganisationError as exc:
            flash(str(exc), "important")
            return redirect(url_for("organisations.edit", organisation_id=org.id))
        flash(f"{org.name} deleted.", "success")
        return redirect(url_for("organisations.index"))
    return render_template("organisations/delete.html", org=org)


@bp.route("/import", methods=["GET", "POST"])
@role_required(*MANAGERS)
def import_csv():
    """Upload a CSV of organisations; any bad row means nothing is saved, and each is listed."""
    form = ImportForm()
    result = None
    if form.validate_on_submit():
        try:
            result = import_organisations_csv(read_upload(form.file.data, CSV_LIMITS.max_bytes), by=current_user)
        except UploadRefused as refusal:
            form.file.errors.append(str(refusal))
        if result and result.ok:
            flash(f"Import complete: {result.created} organisations added, {result.updated} updated.", "success")
            return redirect(url_for("organisations.index"))
    return render_template(
        "organisations/import.html",
        form=form,
        result=result,
        columns=IMPORT_COLUMNS,
        regions=REGIONS,
        council_types=COUNCIL_TYPES,
    )
