"""People: list, invite, edit, disable and enable, resend invitation, erase."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from app.auth.decorators import role_required
from app.auth.mfa import services as two_factor
from app.auth.models import User, UserRole
from app.auth.reauth import reauth_required
from app.auth.roles import ADMIN, ROLE_HINTS, ROLES
from app.auth.services import (
    AccountError,
    erase_person,
    invite_person,
    resend_invitation,
    set_disabled,
    update_person,
)
from app.extensions import db
from app.identifiers import get_or_404
from app.numbers import requested_page
from app.organisations.models import Organisation
from app.people import bp
from app.people.forms import InviteForm, PersonForm
from app.searches import apply_search_form, remembered_search


def _organisations():
    return db.session.scalars(select(Organisation).order_by(Organisation.name)).all()


def _person(user_id: int) -> User:
    return get_or_404(User, user_id)


def _field_error(form, exc: AccountError) -> None:
    field = getattr(form, exc.field or "", None) or form.name
    field.errors = [*field.errors, str(exc)]


@bp.route("/", methods=["GET", "POST"])
@role_required(ADMIN)
def index():
    """Everyone with an account, filtered by name/email (kept out of the URL), role and status, a page at a time."""
    if request.method == "POST":
        return apply_search_form("people", personal=("q",), public=("role", "status"))
    query = select(User).where(User.erased_at.is_(None)).order_by(func.lower(User.name))
    search = remembered_search("people").get("q", "")
    role = request.args.get("role", "")
    status = request.args.get("status", "")
    if search:
        like = f"%{search.lower()}%"
        query = query.where(or_(func.lower(User.name).like(like), func.lower(User.email).like(like)))
    if role in ROLES:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    if status == "disabled":
        query = query.where(User.disabled.is_(True))
    elif status == "invited":
        query = query.where(User.password_hash.is_(None), User.disabled.is_(False))
    elif status == "active":
        query = query.where(User.password_hash.is_not(None), User.disabled.is_(False))
    page = db.paginate(query, page=requested_page(request.args), per_page=25, error_out=False)
    return render_template("people/index.html", page=page, search=search, role=role, status=status, roles=ROLES)


@bp.route("/invite", methods=["GET", "POST"])
@role_required(ADMIN)
@reauth_required
def invite():
    """Invite someone: they get an email with a single-use link to set a password."""
    form = InviteForm()
    form.set_organisation_choices(_organisations())
    if form.validate_on_submit():
        try:
            user = invite_person(
                email=form.email.data,
                name=form.name.data,
                roles=form.roles.data,
                organisation_id=form.organisation_id.data,
                invited_by=current_user._get_current_object(),
            )
        except AccountError as exc:
            _field_error(form, exc)
        else:
            flash(f"Invitation sent to {user.email}.", "success")
            return redirect(url_for("people.show", user_id=user.id))
    return render_template("people/invite.html", form=form, role_hints=ROLE_HINTS)


@bp.route("/<int:user_id>")
@role_required(ADMIN)
def show(user_id: int):
    """One person's details and the actions on their account."""
    return render_template("people/show.html", person=_person(user_id))


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@role_required(ADMIN)
@reauth_required
def edit(user_id: int):
    """Change a person's name, roles and organisation."""
    person = _person(user_id)
    if person.erased_at:
        abort(404)
    form = PersonForm(obj=person)
    form.set_organisation_choices(_organisations())
    if request.method == "GET":
        form.roles.data = sorted(person.roles)
    if form.validate_on_submit():
        try:
            update_person(
                person,
                name=form.name.data,
                roles=form.roles.data,
                organisation_id=form.organisation_id.data,
                by=current_user._get_current_object(),
            )
        except AccountError as exc:
            _field_error(form, exc)
        else:
            flash("Changes saved.", "success")
            return redirect(url_for("people.show", user_id=person.id))
    return render_template("people/edit.html", form=form, person=person, role_hints=ROLE_HINTS)


@bp.route("/<int:user_id>/disable", methods=["GET", "POST"])
@role_required(ADMIN)
@reauth_required
def disable(user_id: int):
    """Confirm, then disable an account: the person is signed out at once."""
    person = _person(user_id)
    if request.method == "POST":
        try:
            set_disabled(person, True, current_user._get_current_object())
        except AccountError as exc:
            flash(str(exc), "important")
        else:
            flash(f"{person.name}'s account is disabled and they have been signed out.", "success")
        return redirect(url_for("people.show", user_id=person.id))
    return render_template("people/confirm.html", person=person, action="disable")


@bp.route("/<int:user_id>/enable", methods=["POST"])
@role_required(ADMIN)
def enable(user_id: int):
    """Re-enable a disabled account."""
    person = _person(user_id)
    set_disabled(person, False, current_user._get_current_object())
    flash(f"{person.name}'s account is enabled again.", "success")
    return redirect(url_for("people.show", user_id=person.id))


@bp.route("/<int:user_id>/resend-invitation", methods=["POST"])
@role_required(ADMIN)
def resend(user_id: int):
    """Send a new invitation link (the old one stops working)."""
    person = _person(user_id)
    try:
        resend_invitation(person, current_user._get_current_object())
    except AccountError as exc:
        flash(str(exc), "important")
    else:
        flash(f"A new invitation has been sent to {person.email}.", "success")
    return redirect(url_for("people.show", user_id=person.id))


@bp.route("/<int:user_id>/erase", methods=["GET", "POST"])
@role_required(ADMIN)
@reauth_required
def erase(user_id: int):
    """Confirm, then erase a person's personal data (the audit trail keeps an anonymous record)."""
    person = _person(user_id)
    if person.erased_at:
        abort(404)
    if request.method == "POST":
        try:
            erase_person(person, current_user._get_current_object())
        except AccountError as exc:
            flash(str(exc), "important")
            return redirect(url_for("people.show", user_id=person.id))
        flash("The person's personal data has been erased.", "success")
        return redirect(url_for("people.index"))
    return render_template("people/confirm.html", person=person, action="erase")


@bp.route("/<int:user_id>/two-factor/reset", methods=["GET", "POST"])
@role_required(ADMIN)
@reauth_required
def reset_two_factor(user_id: int):
    """Confirm, then remove a person's authenticator app and recovery codes (another administrator only)."""
    person = _person(user_id)
    if person.erased_at or not person.has_two_factor:
        abort(404)
    if person.id == current_user.id:
        flash("You cannot reset your own two-factor authentication: ask another administrator.", "important")
        return redirect(url_for("people.show", user_id=person.id))
    if request.method == "POST":
        try:
            two_factor.reset(person, current_user._get_current_object())
        except two_factor.SecondFactorError as exc:
            flash(str(exc), "important")
        else:
            flash(
                f"{person.name}'s two-factor authentication has been reset and they have been signed out. "
                "They can set up an authenticator app again after signing in.",
                "success",
            )
        return redirect(url_for("people.show", user_id=person.id))
    return render_template("people/reset_two_factor.html", person=person)
