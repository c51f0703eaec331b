"""The public volunteer form against someone hostile: throttled per client and per address, the same page
whatever the pool holds, one email an hour at most to an address and none carrying what was typed, and
confirmation links that carry only a random, single-use, expiring secret (issue 11, findings 4 and 6)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import zlib
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.focus_groups.models import Volunteer
from app.focus_groups.recruitment.models import VolunteerChange, VolunteerFormEmail
from app.focus_groups.recruitment.volunteering import confirm_change, purge_volunteer_changes, volunteer_from_form
from app.focus_groups.scheduling.withdrawal import withdraw_volunteer
from tests.conftest import link_in, page_text, text_part
from tests.focus_groups.recruitment.support import details
from tests.focus_groups.recruitment.test_recruitment_routes import an_hour_passes, form_data

HOSTILE = {
    "name": "Your account is locked visit evil.example now",
    "job_role": "Urgent call 0800 000 000",
    "access_needs": "Reply with your password to keep your place",
}


def send_form(client, study, org, client_address="192.0.2.1", **overrides):
    """Post the volunteer form from one client address (as the proxy-aware limiter sees it)."""
    return client.post(
        f"/focus-groups/{study.id}/volunteer",
        data=form_data(study, org, **overrides),
        environ_overrides={"REMOTE_ADDR": client_address},
    )


def bodies(message) -> str:
    return text_part(message) + message.get_body(("html",)).get_content() + str(message["Subject"])


def volunteer_count() -> int:
    return db.session.scalar(select(func.count(Volunteer.id)))


# --- Throttling ------------------------------------------------------------------------------------


class TestPerClientLimit:
    @pytest.fixture
    def config_overrides(self):
        return {"VOLUNTEER_LIMIT_PER_CLIENT": "3 per hour"}

    def test_one_client_sending_the_form_too_often_gets_a_plain_page(self, client, make_study, make_organisation):
        study, org = make_study(slots=1), make_organisation()
        for n in range(3):
            assert send_form(client, study, org, email=f"person{n}@example.org").status_code == 302
        refused = send_form(client, study, org, email="person9@example.org")
        assert refused.status_code == 429
        page = page_text(refused)
        assert "There is a problem" in page and "govuk-error-summary" in page
        assert "The volunteer form has been sent too many times. Wait an hour, then try again." in page
        assert "Traceback" not in page and "password" not in page.lower()
        assert volunteer_count() == 3  # nothing saved from the refused one
        # Another client is not held up by this one.
        assert send_form(client, study, org, client_address="192.0.2.2", email="other@example.org").status_code == 302


class TestPerAddressLimit:
    @pytest.fixture
    def config_overrides(self):
        return {"VOLUNTEER_LIMIT_PER_ADDRESS": "2 per hour", "VOLUNTEER_LIMIT_PER_CLIENT": "100 per hour"}

    def test_one_address_sent_too_often_from_anywhere_is_refused(self, client, make_study, make_organisation):
        study, org = make_study(slots=1), make_organisation()
        # A form with mistakes does not count: someone correcting them is not held up.
        assert send_form(client, study, org, email="ann@example.org", consent=None).status_code == 200
        assert send_form(client, study, org, "192.0.2.1", email="ann@example.org").status_code == 302
        assert send_form(client, study, org, "192.0.2.2", email="Ann@Example.org ").status_code == 302
        refused = send_form(client, study, org, "192.0.2.3", email="ANN@example.org")
        assert refused.status_code == 429
        assert "The volunteer form has been sent too many times" in page_text(refused)
        assert send_form(client, study, org, "192.0.2.3", email="bob@example.org").status_code == 302


# --- The same page whatever the pool holds ---------------------------------------------------------


def _page_without_per_request_values(response) -> str:
    page = response.get_data(as_text=True)
    page = re.sub(r'nonce="[^"]*"', "", page)
    return re.sub(r'name="csrf_token" value="[^"]*"', "", page)


def test_a_new_and_an_existing_address_get_the_same_page(client, make_study, make_organisation, make_volunteer):
    study, org = make_study(slots=2), make_organisation()
    make_volunteer(study, email="known@example.org")
    new = send_form(client, study, org, email="new@example.org")
    known = send_form(client, study, org, email="known@example.org")
    assert (new.status_code, new.headers["Location"]) == (known.status_code, known.headers["Location"])
    new_page = client.get(new.headers["Location"])
    known_page = client.get(known.headers["Location"])
    assert new_page.status_code == known_page.status_code == 200
    assert _page_without_per_request_values(new_page) == _page_without_per_request_values(known_page)
    assert "Check your email" in page_text(new_page) and "/focus-groups/withdraw/" not in page_text(new_page)


def test_a_new_and_an_existing_address_each_get_one_email(
    client, make_study, make_organisation, make_volunteer, mailbox
):
    """The two paths do the same work (one write, one email), so time tells nothing either."""
    study, org = make_study(slots=2), make_organisation()
    make_volunteer(study, email="known@example.org")
    send_form(client, study, org, email="new@example.org")
    send_form(client, study, org, email="known@example.org")
    assert sorted(message["To"] for message in mailbox) == ["known@example.org", "new@example.org"]


# --- One email an hour, and nothing typed in it -----------------------------------------------------


def test_an_address_gets_at_most_one_email_an_hour(client, make_study, make_organisation, mailbox):
    study, org = make_study(slots=1), make_organisation()
    for n in range(3):  # first it joins the pool, then each time asks its owner to confirm changes
        assert send_form(client, study, org, f"192.0.2.{n}", email="ann@example.org").status_code == 302
    assert len(mailbox) == 1
    assert db.session.scalar(select(func.count()).select_from(VolunteerFormEmail)) == 1
    an_hour_passes()
    send_form(client, study, org, email="ann@example.org")
    assert len(mailbox) == 2 and "Confirm the changes to your details" in mailbox[1]["Subject"]


def test_volunteering_for_two_studies_in_an_hour_sends_each_its_own_withdrawal_link(
    client, make_study, make_organisation, mailbox
):
    """Joining a second study within the hour still brings that study's email: without it the volunteer
    would have no way to leave the second study (the first study's link withdraws them from that one only)."""
    first, second, org = make_study(slots=1), make_study(slots=1, title="Another study"), make_organisation()
    send_form(client, first, org, email="ann@example.org")
    send_form(client, second, org, "192.0.2.2", email="Ann@Example.org")
    assert [m["To"] for m in mailbox] == ["ann@example.org", "ann@example.org"]
    assert [m["Subject"] for m in mailbox] == [
        f"Thank you for volunteering: {first.title}",
        "Thank you for volunteering: Another study",
    ]
    links = [re.search(r"http://localhost(/focus-groups/withdraw/\S+)", text_part(m)).group(1) for m in mailbox]
    assert links[0] != links[1]
    # A second submission to either study within the hour sends nothing more.
    send_form(client, second, org, "192.0.2.3", email="ann@example.org")
    send_form(client, first, org, "192.0.2.4", email="ann@example.org")
    assert len(mailbox) == 2
    # Each link takes them out of its own study and leaves them in the other.
    assert client.post(links[1]).status_code == 302
    db.session.expire_all()
    in_pool = db.session.scalars(select(Volunteer).where(Volunteer.email == "ann@example.org")).all()
    assert [v.study_id for v in in_pool] == [first.id]
    assert client.post(links[0]).status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(Volunteer).where(Volunteer.email == "ann@example.org")).all() == []


def test_the_record_of_emails_holds_across_workers(app, make_study):
    """Recorded in the database: a second worker (here, a second call) finds it, not a process's memory."""
    study = make_study(slots=1)
    first = volunteer_from_form(study, details(study, email="ann@example.org"))
    study_id = study.id
    db.session.remove()  # a fresh session: nothing carried over in memory
    study = db.session.get(type(study), study_id)
    second = volunteer_from_form(study, details(study, email="ann@example.org"))
    assert first.emailed and not second.emailed


def test_no_email_carries_what_was_typed_into_the_form(client, make_study, make_organisation, make_volunteer, mailbox):
    study, org = make_study(slots=2), make_organisation(name="Cardiff Council")
    make_volunteer(study, email="known@example.org")
    send_form(client, study, org, email="victim@example.org", **HOSTILE)  # a new address: it joins the pool
    send_form(client, study, org, email="known@example.org", **HOSTILE)  # in the pool: asked to confirm
    new, known = mailbox
    assert "/focus-groups/withdraw/" in text_part(new) and "Cardiff Council" in text_part(new)
    assert "/volunteer/confirm/" in text_part(known)
    for message in mailbox:
        text = bodies(message)
        for typed in HOSTILE.values():
            assert typed not in text
        assert "evil.example" not in text and "0800 000" not in text  # "0800" alone may be in a link's random token


# --- The confirmation link -------------------------------------------------------------------------


def _decodings(value: str) -> list[bytes]:
    """Everything a URL segment could decode to: base64 (URL-safe or not, padded as needed), then zlib."""
    found = []
    for part in re.split(r"[./]", unquote(value)):
        for decode in (base64.urlsafe_b64decode, base64.b64decode):
            try:
                raw = decode(part + "=" * (-len(part) % 4))
            except (binascii.Error, ValueError):
                continue
            found.append(raw)
            try:
                found.append(zlib.decompress(raw))
            except zlib.error:
                pass
    return found


def _change_link(client, study, org, mailbox, **overrides) -> str:
    send_form(client, study, org, email="ann@example.org")
    an_hour_passes()
    send_form(client, study, org, email="ann@example.org", **overrides)
    return link_in(mailbox[-1])


def test_the_link_carries_only_a_random_token(client, make_study, make_organisation, mailbox):
    study, org = make_study(slots=1), make_organisation()
    link = _change_link(client, study, org, mailbox, name="Annabel Secret", job_role="Chief Secret Officer")
    token = link.rsplit("/", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 32 random bytes: 256 bits, nothing else
    for decoded in [link.encode(), *_decodings(link)]:
        lowered = decoded.lower()
        for personal in (b"annabel", b"ann@example.org", b"secret officer", b"example.org"):
            assert personal not in lowered
    stored = db.session.scalar(select(VolunteerChange))
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()  # the secret itself is not kept
    assert token not in repr(stored.details)


def test_confirming_applies_the_changes_once(client, make_study, make_organisation, mailbox):
    study, org = make_study(slots=1), make_organisation()
    link = _change_link(client, study, org, mailbox, job_role="CIO")
    page = page_text(client.get(link))
    assert "Confirm your new details" in page and "CIO" in page
    assert client.post(link).status_code == 302
    volunteer = db.session.scalar(select(Volunteer))
    assert volunteer.job_role == "CIO"
    volunteer.job_role = "Changed since"
    db.session.commit()
    again = client.post(link)
    assert again.status_code == 410 and "This link has already been used" in page_text(again)
    assert client.get(link).status_code == 410
    db.session.expire_all()
    assert db.session.scalar(select(Volunteer)).job_role == "Changed since"  # not applied a second time
    assert db.session.scalar(select(VolunteerChange)).details is None  # the details went once used


def test_a_newer_link_retires_the_older_one(client, make_study, make_organisation, mailbox):
    study, org = make_study(slots=1), make_organisation()
    older = _change_link(client, study, org, mailbox, job_role="CIO")
    an_hour_passes()
    send_form(client, study, org, email="ann@example.org", job_role="CTO")
    newer = link_in(mailbox[-1])
    assert newer != older
    assert "This link has already been used" in page_text(client.get(older))
    assert "CTO" in page_text(client.get(newer))


def test_an_expired_link_says_so_and_changes_nothing(client, make_study, make_organisation, mailbox):
    study, org = make_study(slots=1), make_organisation()
    link = _change_link(client, study, org, mailbox, job_role="CIO")
    db.session.execute(update(VolunteerChange).values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    db.session.commit()
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 410 and "This link has expired" in page_text(response)
    db.session.expire_all()
    assert db.session.scalar(select(Volunteer)).job_role == "Head of ICT"
    unknown = client.get(f"/focus-groups/{study.id}/volunteer/confirm/{'A' * 43}")
    assert unknown.status_code == 404 and "This link does not work" in page_text(unknown)


def test_a_link_for_another_study_is_not_found(client, make_study, make_organisation, mailbox):
    study, other, org = make_study(slots=1), make_study(slots=1, title="Other"), make_organisation()
    link = _change_link(client, study, org, mailbox)
    assert client.get(link.replace(f"/focus-groups/{study.id}/", f"/focus-groups/{other.id}/")).status_code == 404


def test_two_confirmations_at_once_apply_one(app, make_study):
    study = make_study(slots=1)
    volunteer_from_form(study, details(study))
    db.session.execute(update(VolunteerFormEmail).values(sent_at=datetime.now(UTC) - timedelta(hours=2)))
    db.session.commit()
    volunteer_from_form(study, details(study, job_role="CIO"))
    change = db.session.scalar(select(VolunteerChange))
    # The secret is not kept, so this test swaps in one it knows.
    change.token_hash = hashlib.sha256(b"k" * 43).hexdigest()
    db.session.commit()
    assert confirm_change(study, "k" * 43).state == "done"
    assert confirm_change(study, "k" * 43).state == "used"


# --- Pending changes do not outlive their use ------------------------------------------------------


def test_used_and_expired_changes_lose_their_details_then_go(app, make_study):
    study = make_study(slots=1)
    volunteer_from_form(study, details(study))
    db.session.execute(update(VolunteerFormEmail).values(sent_at=datetime.now(UTC) - timedelta(hours=2)))
    db.session.commit()
    volunteer_from_form(study, details(study, job_role="CIO"))
    now = datetime.now(UTC)
    purge_volunteer_changes(now + timedelta(days=8))
    db.session.commit()
    change = db.session.scalar(select(VolunteerChange))
    assert change.details is None  # expired: what was typed is gone
    assert purge_volunteer_changes(now + timedelta(days=38)) == 1
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(VolunteerChange)) == 0


def test_withdrawing_deletes_the_changes_waiting_for_the_volunteer(app, make_study):
    study = make_study(slots=1)
    volunteer = volunteer_from_form(study, details(study)).volunteer
    db.session.execute(update(VolunteerFormEmail).values(sent_at=datetime.now(UTC) - timedelta(hours=2)))
    db.session.commit()
    assert volunteer_from_form(study, details(study, job_role="CIO")).pending
    assert db.session.scalar(select(func.count()).select_from(VolunteerChange)) == 1
    withdraw_volunteer(db.session.get(Volunteer, volunteer.id))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(VolunteerChange)) == 0
    assert db.session.scalar(select(func.count()).select_from(VolunteerFormEmail)) == 0
