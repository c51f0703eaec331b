"""Recruitment pages: the public volunteer form, and organisers' invitations, import and pool dashboard."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask import session as browser_session  # the cookie; "session" here means a group's meeting
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from flask_wtf import FlaskForm

from app.auth.decorators import public, role_required
from app.auth.roles import MANAGERS
from app.extensions import db, limiter
from app.focus_groups import bp
from app.focus_groups.models import (
    ATTENDANCE,
    AVAILABILITY,
    PLACEMENT_ROLES,
    PLACEMENT_STATUSES,
)
from app.focus_groups.recruitment.consent import CONSENT_TEXTS, CURRENT_CONSENT_VERSION
from app.focus_groups.recruitment.forms import VolunteerImportForm, slot_field_name, volunteer_form
from app.focus_groups.recruitment.importing import IMPORT_COLUMNS, IMPORTED_CONSENT_VERSION, import_volunteers_csv
from app.focus_groups.recruitment.invitations import organisations_already_asked, recruitment_invitations_job
from app.focus_groups.recruitment.pool import (
    consent_text,
    deletable,
    delete_volunteer,
    other_records,
    pool_for,
    volunteers_query,
)
from app.focus_groups.recruitment.volunteering import (
    CHANGE_LIFETIME,
    FORM_EMAIL_INTERVAL,
    VolunteerDetails,
    confirm_change,
    open_slots,
    organisations_for_choice,
    pending_change,
    volunteer_from_form,
    withdrawal_link,
)
from app.focus_groups.services import (
    email_fingerprint,
    how_sessions_run,
    slot_ends_at,
    study_or_404,
    volunteer_or_404,
)
from app.identifiers import parse_id
from app.jobs.runner import start_job
from app.numbers import requested_page
from app.organisations.invitations import chosen_organisation_ids, organisations_matching
from app.organisations.models import Organisation
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.uploads import CSV_LIMITS, UploadRefused, read_upload

THANKS_KEY = "focus_group_volunteered"


def _prefill() -> dict:
    """Start the form with what we know: the organisation in the invitation's link, or the member's own."""
    data: dict = {}
    organisation = None
    wanted = parse_id(request.args.get("organisation", ""))
    if wanted is not None:
        organisation = db.session.get(Organisation, wanted)
    if current_user.is_authenticated:
        data.update(name=current_user.name, email=current_user.email)
        organisation = organisation or current_user.organisation
    if organisation is not None:
        data.update(
            organisation=str(organisation.id), region=organisation.region, council_type=organisation.council_type
        )
    return data


def _volunteer_address_key() -> str:
    # A keyed hash, so the limiter's store (Redis, say) never holds the address itself.
    return "volunteer-address:" + email_fingerprint(request.form.get("email", "")[:320])


def _accepted(response: Response) -> bool:
    # Per address, only submissions the form accepted count (someone correcting mistakes is not held up).
    return response.status_code == 302


@bp.errorhandler(RateLimitExceeded)
def too_many_volunteer_forms(error: RateLimitExceeded):
    """The volunteer form sent too often, from one address or for one email address: a plain page."""
    if request.endpoint == "focus_groups.volunteer_form":
        study_id = (request.view_args or {}).get("study_id")
        return render_template("focus_groups/recruitment/too_many.html", study_id=study_id), 429
    return render_template("errors/error.html", status=429, title="Too many attempts"), 429


@bp.route("/<int:study_id>/volunteer", methods=["GET", "POST"], endpoint="volunteer_form")
@limiter.limit(lambda: current_app.config["VOLUNTEER_LIMIT_PER_CLIENT"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["VOLUNTEER_LIMIT_PER_ADDRESS"],
    key_func=_volunteer_address_key,
    methods=["POST"],
    deduct_when=_accepted,
)
@public
def volunteer_form_page(study_id: int):
    """The expression-of-interest form: who you are, when you can come, and your consent."""
    study = study_or_404(study_id)
    if not study.recruiting:
        return render_template("focus_groups/recruitment/not_recruiting.html", study=study)
    slots = open_slots(study)
    organisations = organisations_for_choice()
    form = volunteer_form(slots, organisations, data=None if request.method == "POST" else _prefill())
    if form.validate_on_submit():
        organisation = db.session.get(Organisation, int(form.organisation.data))
        if organisation is None:  # deleted since the page was shown
            form.organisation.errors = ["Select your organisation from the list"]
        else:
            details = VolunteerDetails(
                name=form.name.data,
                email=form.email.data,
                organisation_id=organisation.id,
                organisation_name=organisation.name,
                job_role=form.job_role.data,
                region=form.region.data or organisation.region,
                council_type=form.council_type.data or organisation.council_type,
                supports_schools=form.supports_schools.data == "yes",
                availability={slot.id: form[slot_field_name(slot.id)].data for slot in slots},
                access_needs=form.access_needs.data,
                audio_consent=form.audio_consent.data,
            )
            volunteer_from_form(study, details, user=current_user if current_user.is_authenticated else None)
            # The same page follows whatever the pool held: it says what each case means.
            browser_session[THANKS_KEY] = {"study_id": study.id}
            return redirect(url_for("focus_groups.volunteer_thanks", study_id=study.id))
    return render_template(
        "focus_groups/recruitment/volunteer.html",
        study=study,
        form=form,
        slot_rows=[(slot, form[slot_field_name(slot.id)]) for slot in slots],
        slot_ends_at=slot_ends_at,
        sessions=how_sessions_run(slots),
        consent=CONSENT_TEXTS[CURRENT_CONSENT_VERSION],
    )


@bp.route("/<int:study_id>/volunteer/thanks")
@public
def volunteer_thanks(study_id: int):
    """After volunteering: the same page whether the address was new or already in the pool."""
    study = study_or_404(study_id)
    done = browser_session.get(THANKS_KEY) or {}
    if done.get("study_id") != study.id:
        return redirect(url_for("focus_groups.volunteer_form", study_id=study.id))
    if done.get("confirmed"):  # only whoever opened the emailed link gets here
        volunteer = volunteer_or_404(study, done["confirmed"])
        return render_template(
            "focus_groups/recruitment/change_confirmed.html",
            study=study,
            withdraw_link=withdrawal_link(volunteer) if volunteer.erased_at is None else None,
        )
    return render_template(
        "focus_groups/recruitment/thanks.html",
        study=study,
        days=CHANGE_LIFETIME.days,
        interval_minutes=int(FORM_EMAIL_INTERVAL.total_seconds() // 60),
    )


@bp.route("/<int:study_id>/volunteer/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_volunteer_change(study_id: int, token: str):
    """The link emailed to a volunteer's own address: confirm the new details someone gave for it."""
    study = study_or_404(study_id)
    if request.method == "POST":
        change = confirm_change(study, token, user=current_user if current_user.is_authenticated else None)
        if change.state == "done":
            browser_session[THANKS_KEY] = {"study_id": study.id, "confirmed": change.volunteer.id}
            return redirect(url_for("focus_groups.volunteer_thanks", study_id=study.id))
    else:
        change = pending_change(study, token)
    if change.state != "ok":
        status = 404 if change.state == "unknown" else 410
        return render_template("focus_groups/recruitment/change_invalid.html", study=study, state=change.state), status
    details = change.details
    organisation = db.session.get(Organisation, details.organisation_id) if details.organisation_id else None
    return render_template(
        "focus_groups/recruitment/confirm_change.html",
        study=study,
        details=details,
        organisation=organisation,
        slots=[(slot, details.availability.get(slot.id, "no")) for slot in open_slots(study)],
        answers=AVAILABILITY,
        regions=REGIONS,
        council_types=COUNCIL_TYPES,
    )


def _sending_recruitment_invitations(study, organisation_ids: list[int]):
    """Email the chosen organisations the volunteer form in the background, and show the job's progress."""
    job = start_job(
        "invitations",
        f"Sending recruitment invitations for '{study.title}'",
        len(organisation_ids),
        recruitment_invitations_job,
        study.id,
        organisation_ids,
        current_user.id,
        created_by=current_user,
        return_url=url_for("focus_groups.pool", study_id=study.id),
    )
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/<int:study_id>/recruit", methods=["GET", "POST"])
@role_required(*MANAGERS)
def recruit(study_id: int):
    """Choose member organisations (all, or by region and council type) and email them the volunteer form."""
    study = study_or_404(study_id)
    if not study.recruiting:
        flash("This study is not taking volunteers, so recruitment invitations cannot be sent.", "important")
        return redirect(url_for("focus_groups.pool", study_id=study.id))
    form = FlaskForm()
    selected_regions = request.args.getlist("region")
    selected_types = request.args.getlist("council_type")
    organisations = organisations_matching(selected_regions, selected_types)
    asked = organisations_already_asked(study)
    chosen, error = [org.id for org in organisations if org.id not in asked], None
    if request.method == "POST" and form.validate_on_submit():
        chosen = chosen_organisation_ids(request.form.getlist("organisation"))
        if chosen:
            return _sending_recruitment_invitations(study, chosen)
        error = "Select at least one organisation to invite"
    return render_template(
        "focus_groups/recruitment/recruit.html",
        study=study,
        organisations=organisations,
        asked=asked,
        chosen=set(chosen),
        regions=REGIONS,
        council_types=COUNCIL_TYPES,
        selected_regions=selected_regions,
        selected_types=selected_types,
        form=form,
        error=error,
    )


@bp.route("/<int:study_id>/volunteers/import", methods=["GET", "POST"])
@role_required(*MANAGERS)
def import_volunteers(study_id: int):
    """Upload a CSV of volunteers; any bad row means nothing is saved, and each is listed."""
    study = study_or_404(study_id)
    form = VolunteerImportForm()
    result = None
    if form.validate_on_submit():
        try:
            result = import_volunteers_csv(study, read_upload(form.file.data, CSV_LIMITS.max_bytes), by=current_user)
        except UploadRefused as refusal:
            form.file.errors.append(str(refusal))
        if result and result.ok:
            flash(f"Import complete: {result.created} volunteers added, {result.updated} updated.", "success")
            return redirect(url_for("focus_groups.pool", study_id=study.id))
    return render_template(
        "focus_groups/recruitment/import.html",
        study=study,
        form=form,
        result=result,
        columns=IMPORT_COLUMNS,
        slots=open_slots(study),
        regions=REGIONS,
        council_types=COUNCIL_TYPES,
    )


@bp.route("/<int:study_id>/pool")
@role_required(*MANAGERS)
def pool(study_id: int):
    """The pool dashboard: volunteers by region and council type against the targets, availability per slot."""
    study = study_or_404(study_id)
    region = request.args.get("region", "")
    council_type = request.args.get("council_type", "")
    page = db.paginate(
        volunteers_query(study, region, council_type), page=requested_page(request.args), per_page=25, error_out=False
    )
    return render_template(
        "focus_groups/recruitment/pool.html",
        study=study,
        pool=pool_for(study),
        page=page,
        region=region if region in REGIONS else "",
        council_type=council_type if council_type in COUNCIL_TYPES else "",
        regions=REGIONS,
        council_types=COUNCIL_TYPES,
        slot_ends_at=slot_ends_at,
    )


@bp.route("/<int:study_id>/volunteers/<int:volunteer_id>")
@role_required(*MANAGERS)
def pool_volunteer(study_id: int, volunteer_id: int):
    """One volunteer: details, consent as given, availability, and their history in this and other studies."""
    study = study_or_404(study_id)
    volunteer = volunteer_or_404(study, volunteer_id)
    return render_template(
        "focus_groups/recruitment/volunteer_detail.html",
        study=study,
        volunteer=volunteer,
        consent=consent_text(volunteer.consent_version),
        imported_consent=volunteer.consent_version == IMPORTED_CONSENT_VERSION,
        slots=open_slots(study),
        slot_ends_at=slot_ends_at,
        answers=AVAILABILITY,
        roles=PLACEMENT_ROLES,
        statuses=PLACEMENT_STATUSES,
        attendance=ATTENDANCE,
        others=other_records(volunteer),
    )


@bp.route("/<int:study_id>/volunteers/<int:volunteer_id>/delete", methods=["GET", "POST"])
@role_required(*MANAGERS)
def delete_pool_volunteer(study_id: int, volunteer_id: int):
    """Confirm, then remove a volunteer from the pool (with their availability and any placement)."""
    study = study_or_404(study_id)
    volunteer = volunteer_or_404(study, volunteer_id)
    form = FlaskForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        name = volunteer.display_name
        if not deletable(volunteer):
            flash(f"{name} is in a confirmed session, so cannot be removed here.", "important")
            return redirect(url_for("focus_groups.pool_volunteer", study_id=study.id, volunteer_id=volunteer.id))
        delete_volunteer(volunteer, by=current_user)
        flash(f"{name} has been removed from the pool.", "success")
        return redirect(url_for("focus_groups.pool", study_id=study.id))
    return render_template(
        "focus_groups/recruitment/delete.html",
        study=study,
        volunteer=volunteer,
        form=form,
        deletable=deletable(volunteer),
    )
