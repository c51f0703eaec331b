"""Demo content for `flask demo-data`: member organisations and one account per role."""

from __future__ import annotations

import base64
import binascii
import secrets
from datetime import timedelta

from sqlalchemy import select

from app.auth.models import User
from app.auth.passwords import hash_password
from app.clock import utcnow
from app.extensions import db
from app.organisations.models import Organisation

# (name, region, council type): every region and every council type appears.
DEMO_ORGANISATIONS: list[tuple[str, str, str]] = [
    ("Durham County Council", "north-east", "unitary"),
    ("Newcastle City Council", "north-east", "metropolitan-borough"),
    ("Sunderland City Council", "north-east", "metropolitan-borough"),
    ("Northumberland County Council", "north-east", "unitary"),
    ("Lancashire County Council", "north-west", "county"),
    ("Manchester City Council", "north-west", "metropolitan-borough"),
    ("Cheshire East Council", "north-west", "unitary"),
    ("Preston City Council", "north-west", "district"),
    ("Leeds City Council", "yorkshire-and-the-humber", "metropolitan-borough"),
    ("North Yorkshire Council", "yorkshire-and-the-humber", "unitary"),
    ("Hull City Council", "yorkshire-and-the-humber", "unitary"),
    ("Derbyshire County Council", "east-midlands", "county"),
    ("Nottingham City Council", "east-midlands", "unitary"),
    ("Charnwood Borough Council", "east-midlands", "district"),
    ("Birmingham City Council", "west-midlands", "metropolitan-borough"),
    ("Staffordshire County Council", "west-midlands", "county"),
    ("Shropshire Council", "west-midlands", "unitary"),
    ("West Midlands Fire Service", "west-midlands", "other-public-body"),
    ("Norfolk County Council", "east-of-england", "county"),
    ("Cambridge City Council", "east-of-england", "district"),
    ("Luton Borough Council", "east-of-england", "unitary"),
    ("Essex Police", "east-of-england", "other-public-body"),
    ("London Borough of Camden", "london", "london-borough"),
    ("Royal Borough of Greenwich", "london", "london-borough"),
    ("London Borough of Hackney", "london", "london-borough"),
    ("Westminster City Council", "london", "london-borough"),
    ("Kent County Council", "south-east", "county"),
    ("Brighton and Hove City Council", "south-east", "unitary"),
    ("Surrey County Council", "south-east", "county"),
    ("Tunbridge Wells Borough Council", "south-east", "district"),
    ("Devon County Council", "south-west", "county"),
    ("Bristol City Council", "south-west", "unitary"),
    ("Cornwall Council", "south-west", "unitary"),
    ("Dartmoor National Park Authority", "south-west", "other-public-body"),
    ("City of Edinburgh Council", "scotland", "scottish"),
    ("Glasgow City Council", "scotland", "scottish"),
    ("The Highland Council", "scotland", "scottish"),
    ("Cardiff Council", "wales", "welsh"),
    ("Gwynedd Council", "wales", "welsh"),
    ("Swansea Council", "wales", "welsh"),
    ("Belfast City Council", "northern-ireland", "northern-ireland-district"),
    ("Derry City and Strabane District Council", "northern-ireland", "northern-ireland-district"),
    # More members, so that the survey's free-text answers give the analysis enough to work on.
    ("Gateshead Council", "north-east", "metropolitan-borough"),
    ("Darlington Borough Council", "north-east", "unitary"),
    ("Liverpool City Council", "north-west", "metropolitan-borough"),
    ("Wigan Council", "north-west", "metropolitan-borough"),
    ("Cumberland Council", "north-west", "unitary"),
    ("Pendle Borough Council", "north-west", "district"),
    ("Greater Manchester Combined Authority", "north-west", "other-public-body"),
    ("Sheffield City Council", "yorkshire-and-the-humber", "metropolitan-borough"),
    ("Kirklees Council", "yorkshire-and-the-humber", "metropolitan-borough"),
    ("East Riding of Yorkshire Council", "yorkshire-and-the-humber", "unitary"),
    ("South Yorkshire Fire and Rescue", "yorkshire-and-the-humber", "other-public-body"),
    ("Leicestershire County Council", "east-midlands", "county"),
    ("Lincolnshire County Council", "east-midlands", "county"),
    ("Derby City Council", "east-midlands", "unitary"),
    ("Bassetlaw District Council", "east-midlands", "district"),
    ("Coventry City Council", "west-midlands", "metropolitan-borough"),
    ("Warwickshire County Council", "west-midlands", "county"),
    ("Herefordshire Council", "west-midlands", "unitary"),
    ("Stratford-on-Avon District Council", "west-midlands", "district"),
    ("Suffolk County Council", "east-of-england", "county"),
    ("Hertfordshire County Council", "east-of-england", "county"),
    ("Peterborough City Council", "east-of-england", "unitary"),
    ("Colchester City Council", "east-of-england", "district"),
    ("London Borough of Lambeth", "london", "london-borough"),
    ("London Borough of Tower Hamlets", "london", "london-borough"),
    ("London Borough of Barnet", "london", "london-borough"),
    ("London Borough of Ealing", "london", "london-borough"),
    ("Hampshire County Council", "south-east", "county"),
    ("Oxfordshire County Council", "south-east", "county"),
    ("Milton Keynes City Council", "south-east", "unitary"),
    ("Reading Borough Council", "south-east", "unitary"),
    ("Wealden District Council", "south-east", "district"),
    ("Somerset Council", "south-west", "unitary"),
    ("Plymouth City Council", "south-west", "unitary"),
    ("Gloucestershire County Council", "south-west", "county"),
    ("Exeter City Council", "south-west", "district"),
    ("Fife Council", "scotland", "scottish"),
    ("Aberdeenshire Council", "scotland", "scottish"),
    ("South Lanarkshire Council", "scotland", "scottish"),
    ("Dundee City Council", "scotland", "scottish"),
    ("Powys County Council", "wales", "welsh"),
    ("Wrexham County Borough Council", "wales", "welsh"),
    ("Rhondda Cynon Taf County Borough Council", "wales", "welsh"),
    ("Conwy County Borough Council", "wales", "welsh"),
    ("Armagh City, Banbridge and Craigavon Borough Council", "northern-ireland", "northern-ireland-district"),
    ("Causeway Coast and Glens Borough Council", "northern-ireland", "northern-ireland-district"),
    ("Newry, Mourne and Down District Council", "northern-ireland", "northern-ireland-district"),
]

# (role, name, organisation or None)
DEMO_PEOPLE: list[tuple[str, str, str | None]] = [
    ("member", "Sam Patel", "Kent County Council"),
    ("organiser", "Alex Morgan", None),
    ("facilitator", "Jo Whitfield", None),
    ("analyst", "Chris Okafor", None),
    ("lead_analyst", "Morgan Ellis", None),
    ("admin", "Dana Reid", None),
]


def demo_email(role: str) -> str:
    """The demo account's email for a role."""
    return f"{role}@demo.example"


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-").replace("--", "-")


def load_demo_data(password: str | None) -> tuple[dict[str, int], str | None]:
    """Create or refresh the demo content; safe to run again.

    Passwords of existing demo accounts change only when `password` is given; a new account
    without one gets a random password, which is returned so it can be shown.
    Returns counts of what was created and the password that new accounts received.
    """
    created = {"organisations": 0, "people": 0, "responses": 0, "volunteers": 0}
    orgs = {o.name: o for o in db.session.scalars(select(Organisation))}
    for name, region, council_type in DEMO_ORGANISATIONS:
        if name not in orgs:
            orgs[name] = Organisation(
                name=name, region=region, council_type=council_type, contact_email=f"ict@{_slug(name)}.demo.example"
            )
            db.session.add(orgs[name])
            created["organisations"] += 1
    db.session.flush()

    issued = password
    for role, name, org_name in DEMO_PEOPLE:
        email = demo_email(role)
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, name=name)
            db.session.add(user)
            created["people"] += 1
        if password is not None or user.password_hash is None:
            issued = issued or secrets.token_urlsafe(12)
            user.password_hash = hash_password(issued)
        user.disabled = False
        user.erased_at = None
        user.organisation_id = orgs[org_name].id if org_name else None
        user.set_roles({role})
    db.session.commit()
    from app.surveys.demo import load_demo_responses
    from app.surveys.services import ensure_default_survey, update_default_survey

    survey = ensure_default_survey()
    update_default_survey()  # an older demo database gets the current questions as a new version
    if survey.current_version is None:  # someone removed its published version: publish the draft again
        from app.surveys.services import publish_draft

        publish_draft(survey)
    from app.clock import london
    from app.surveys.services import set_dates

    # Closes at the end of a day (four weeks on, unless set), as the dates page sets it; an older demo
    # database's closing time part-way through a day ("at 1:53pm") is moved to the end of that day.
    closes = london(survey.closes_at) if survey.closes_at else london(utcnow() + timedelta(days=28))
    if survey.closes_at is None or closes.strftime("%H:%M:%S") != "23:59:59":
        set_dates(survey, london(survey.opens_at).date() if survey.opens_at else None, closes.date())
    created["responses"] = load_demo_responses(survey)
    from app.focus_groups.demo import load_demo_study

    created["volunteers"] = load_demo_study()
    from app.focus_groups.demo import load_demo_notes

    load_demo_notes()
    from app.analysis.demo import load_demo_analysis

    created["passages"] = load_demo_analysis()
    return created, issued


def demo_totp_key(secret: str) -> str:
    """The authenticator key as stored (spaces dropped, upper case); ValueError unless it is base32 of 80+ bits."""
    key = secret.replace(" ", "").upper()
    try:
        valid = len(key) >= 16 and len(base64.b32decode(key + "=" * (-len(key) % 8))) >= 10
    except (binascii.Error, ValueError):
        valid = False
    if not valid:
        raise ValueError("The authenticator key must be at least 16 characters of base32 (A-Z, 2-7)")
    return key


def set_up_demo_two_factor(secret: str) -> str:
    """Give the demo administrator an authenticator app with `secret` (base32), as if they had set it up.

    Administrators must use two-factor authentication, so `flask demo-data` prints this key for an
    authenticator app (and the browser tests and screenshots compute its codes). Returns the key.
    """
    from app.auth.mfa.services import encrypt_secret

    key = demo_totp_key(secret)
    admin = db.session.scalar(select(User).where(User.email == demo_email("admin")))
    if admin is not None:
        admin.totp_secret_encrypted = encrypt_secret(key)
        admin.totp_enrolled_at = admin.totp_enrolled_at or utcnow()
        admin.totp_last_step = None
        db.session.commit()
    return key
