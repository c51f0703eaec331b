"""Recruitment pages through the test client: the public volunteer form, invitations, the import and the pool."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from app.audit.models import AuditEvent
from app.extensions import db
from app.focus_groups.models import Placement, Volunteer
from app.focus_groups.recruitment.models import VolunteerFormEmail
from app.focus_groups.recruitment.volunteering import save_volunteer
from app.focus_groups.studies.services import add_slot
from tests.conftest import link_in, page_text, text_part
from tests.focus_groups.recruitment.support import HEADER, details


def form_data(study, org, **overrides) -> dict:
    data = {
        "name": "Ann Example",
        "email": "ann@example.org",
        "organisation": str(org.id),
        "job_role": "Head of ICT",
        "region": "",
        "council_type": "",
        "supports_schools": "yes",
        "access_needs": "Captions, please",
        "consent": "y",
    }
    for number, slot in enumerate(study.slots):
        data[f"slot_{slot.id}"] = ["yes", "if_need_be", "no"][number % 3]
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def add_volunteer(make_volunteer, study, **kwargs) -> Volunteer:
    """make_volunteer, with the study's slots loaded first (the factory reads them while its volunteer is pending)."""
    assert study.slots is not None
    return make_volunteer(study, **kwargs)


def only_volunteer() -> Volunteer:
    return db.session.scalar(select(Volunteer))


def an_hour_passes() -> None:
    """Age the record of when the form last emailed each address by an hour and a minute."""
    db.session.execute(update(VolunteerFormEmail).values(sent_at=VolunteerFormEmail.sent_at - timedelta(minutes=61)))
    db.session.commit()


def test_the_form_shows_each_slot_in_uk_time_with_consent(client, make_study):
    study = make_study(slots=1)
    add_slot(study, datetime(2055, 6, 1, 9, 0, tzinfo=UTC), location="Socitm, Northampton", online=False)
    db.session.commit()
    page = page_text(client.get(f"/focus-groups/{study.id}/volunteer"))
    assert "Slot 1: Monday 1 March 2055, 10:00am to 11:30am (Online)" in page  # GMT
    assert "Slot 2: Tuesday 1 June 2055, 10:00am to 11:30am (In person at Socitm, Northampton)" in page  # BST
    assert "https://meet.example.org" not in page  # the meeting link is for those invited
    assert "You can withdraw at any time" in page and "audio-recorded" in page
    assert 'name="consent"' in page and 'name="audio_consent"' in page


def test_a_visitor_volunteers_and_sees_what_happens_next(client, make_study, make_organisation, mailbox):
    study = make_study(slots=3)
    cardiff = make_organisation(name="Cardiff Council", region="wales", council_type="welsh")
    response = client.post(
        f"/focus-groups/{study.id}/volunteer", data=form_data(study, cardiff, audio_consent="y", region="")
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/focus-groups/{study.id}/volunteer/thanks"
    thanks = page_text(client.get(response.headers["Location"]))
    assert "Thank you for volunteering" in thanks and "What happens next" in thanks
    assert "/focus-groups/withdraw/" not in thanks  # the link goes to the address, not to whoever typed it
    volunteer = only_volunteer()
    assert (volunteer.region, volunteer.council_type) == ("wales", "welsh")  # "same as my organisation"
    assert volunteer.organisation_id == cardiff.id and volunteer.organisation_name == "Cardiff Council"
    assert volunteer.audio_consent and volunteer.consent_version and volunteer.consented_at
    assert volunteer.source == "form" and volunteer.user_id is None and volunteer.access_needs == "Captions, please"
    assert [volunteer.answer_for(s.id) for s in study.slots] == ["yes", "if_need_be", "no"]
    [message] = mailbox
    assert message["To"] == "ann@example.org" and "/focus-groups/withdraw/" in text_part(message)


def test_volunteering_again_changes_nothing_until_the_address_confirms(client, make_study, make_organisation, mailbox):
    study = make_study(slots=2)
    org = make_organisation()
    client.post(f"/focus-groups/{study.id}/volunteer", data=form_data(study, org))
    an_hour_passes()  # the form emails an address at most once an hour
    response = client.post(
        f"/focus-groups/{study.id}/volunteer",
        data=form_data(study, org, email="ANN@example.org", job_role="CIO", region="london"),
    )
    pending = page_text(client.get(response.headers["Location"]))
    assert "Check your email" in pending
    assert "/focus-groups/withdraw/" not in pending  # whoever typed the address gets no link on screen
    assert db.session.scalar(select(func.count(Volunteer.id))) == 1
    volunteer = only_volunteer()
    assert volunteer.job_role != "CIO" and volunteer.region != "london"  # nothing changed yet
    message = mailbox[-1]
    assert message["To"] == "ann@example.org"
    assert "Confirm the changes to your details" in message["Subject"]
    link = link_in(message)
    confirm = client.get(link)
    assert "Confirm your new details" in page_text(confirm) and "CIO" in page_text(confirm)
    done = client.post(link, follow_redirects=True)
    assert "We have updated your details" in page_text(done) and "/focus-groups/withdraw/" in page_text(done)
    db.session.expire_all()
    volunteer = only_volunteer()
    assert volunteer.job_role == "CIO" and volunteer.region == "london"
    assert len(mailbox) == 2  # the page confirms it: no third email
    # The link is single-use.
    again = client.get(link)
    assert again.status_code == 410 and "This link has already been used" in page_text(again)
    assert client.get(f"/focus-groups/{study.id}/volunteer/confirm/tampered").status_code == 404


def test_a_signed_in_volunteer_updates_their_own_details_at_once(client, signed_in, make_study, make_organisation):
    member = signed_in("member")
    study = make_study(slots=2)
    org = member.organisation or make_organisation()
    client.post(f"/focus-groups/{study.id}/volunteer", data=form_data(study, org, email=member.email))
    response = client.post(
        f"/focus-groups/{study.id}/volunteer", data=form_data(study, org, email=member.email, job_role="CIO")
    )
    assert "Thank you for volunteering" in page_text(client.get(response.headers["Location"]))  # the same page
    assert only_volunteer().job_role == "CIO"


def test_bad_answers_are_shown_in_an_error_summary_with_the_input_kept(client, make_study, make_organisation):
    study = make_study(slots=2)
    org = make_organisation()
    slot = study.slots[0]
    data = form_data(study, org, email="not-an-email", consent=None, **{f"slot_{slot.id}": "whenever"})
    response = client.post(f"/focus-groups/{study.id}/volunteer", data=data)
    assert response.status_code == 200
    page = page_text(response)
    assert "There is a problem" in page and page.startswith("<!DOCTYPE html>")
    assert '<a href="#email">Enter an email address in the correct format' in page
    assert f'<a href="#slot_{slot.id}">Select whether you can attend Slot 1</a>' in page
    assert '<a href="#consent">Confirm that you agree to take part on these terms</a>' in page
    assert "<title>Error: " in page
    assert 'value="Ann Example"' in page and 'value="not-an-email"' in page and "Captions, please" in page
    assert f'<option value="{org.id}" selected>' in page
    assert only_volunteer() is None


def test_an_unknown_organisation_is_an_error_not_a_crash(client, make_study, make_organisation):
    study = make_study(slots=1)
    org = make_organisation()
    page = page_text(
        client.post(f"/focus-groups/{study.id}/volunteer", data=form_data(study, org, organisation="99999"))
    )
    assert '<a href="#organisation">Select your organisation from the list</a>' in page
    page = page_text(client.post(f"/focus-groups/{study.id}/volunteer", data=form_data(study, org, region="mars")))
    assert "Select a region from the list" in page
    page = page_text(client.post(f"/focus-groups/{study.id}/volunteer", data={}))
    for message in ("Enter your full name", "Select your organisation", "Select yes if your ICT service supports"):
        assert message in page
    assert only_volunteer() is None


def test_the_invitation_link_fills_in_the_organisation(client, make_study, make_organisation):
    study = make_study(slots=1)
    org = make_organisation(name="Kent County Council", region="south-east", council_type="county")
    page = page_text(client.get(f"/focus-groups/{study.id}/volunteer?organisation={org.id}"))
    assert f'<option value="{org.id}" selected>Kent County Council</option>' in page
    assert '<option value="south-east" selected>' in page and '<option value="county" selected>' in page
    assert client.get(f"/focus-groups/{study.id}/volunteer?organisation=x").status_code == 200


def test_a_signed_in_member_starts_with_their_own_details(client, signed_in, make_study, make_organisation, mailbox):
    study = make_study(slots=1)
    org = make_organisation(
        name="Leeds City Council", region="yorkshire-and-the-humber", council_type="metropolitan-borough"
    )
    member = signed_in("member", organisation=org, name="Mo Member")
    page = page_text(client.get(f"/focus-groups/{study.id}/volunteer"))
    assert 'value="Mo Member"' in page and f'value="{member.email}"' in page
    assert '<option value="yorkshire-and-the-humber" selected>' in page
    client.post(f"/focus-groups/{study.id}/volunteer", data=form_data(study, org, email=member.email))
    assert only_volunteer().user_id == member.id


def test_a_study_not_recruiting_says_so(client, make_study, make_organisation):
    study = make_study(slots=1)
    study.recruiting = False
    db.session.commit()
    org = make_organisation()
    assert "not taking volunteers" in page_text(client.get(f"/focus-groups/{study.id}/volunteer"))
    page = page_text(client.post(f"/focus-groups/{study.id}/volunteer", data=form_data(study, org)))
    assert "not taking volunteers" in page and only_volunteer() is None
    assert client.get("/focus-groups/99999/volunteer").status_code == 404


def test_the_thanks_page_without_volunteering_goes_to_the_form(client, make_study):
    study = make_study(slots=1)
    response = client.get(f"/focus-groups/{study.id}/volunteer/thanks")
    assert response.status_code == 302 and response.headers["Location"] == f"/focus-groups/{study.id}/volunteer"


def test_the_survey_confirmation_links_to_the_recruiting_study(client, signed_in, make_study):
    from app.surveys.models import Response
    from app.surveys.services import ensure_default_survey
    from tests.surveys.conftest import answer_all

    ensure_default_survey().open_to_all_members = True  # any member may answer it
    db.session.commit()
    member = signed_in("member")
    answer_all(client)
    ref = db.session.scalar(select(Response.reference))
    client.post("/surveys/schools-ict/submit", data={"response_ref": ref})
    assert "Volunteer for a focus group" not in page_text(client.get("/surveys/schools-ict/done"))
    study = make_study(slots=1)
    done = page_text(client.get("/surveys/schools-ict/done"))
    assert "Volunteer for a focus group" in done
    assert f'href="/focus-groups/{study.id}/volunteer?organisation={member.organisation_id}"' in done


# --- organisers ----------------------------------------------------------------------------------


def test_organisers_send_recruitment_invitations_as_a_job(client, signed_in, make_study, make_organisation, mailbox):
    study = make_study(slots=2)
    signed_in("organiser")
    cardiff = make_organisation(
        name="Cardiff Council", region="wales", council_type="welsh", contact_email="a@c.example"
    )
    quiet = make_organisation(name="Quiet Council", region="wales", council_type="welsh")
    make_organisation(name="Kent County Council", region="south-east", contact_email="ict@kent.example")
    page = page_text(client.get(f"/focus-groups/{study.id}/recruit?region=wales"))
    assert "Cardiff Council" in page and "Quiet Council" in page and "Kent County Council" not in page
    response = client.post(
        f"/focus-groups/{study.id}/recruit?region=wales", data={"organisation": [cardiff.id, quiet.id]}
    )
    assert response.status_code == 302 and response.headers["Location"].startswith("/jobs/")
    job_page = page_text(client.get(response.headers["Location"]))
    assert "1 invitation sent" in job_page and "Quiet Council" in job_page and "No contact email" in job_page
    [message] = mailbox
    assert message["To"] == "a@c.example"
    assert f"/focus-groups/{study.id}/volunteer?organisation={cardiff.id}" in text_part(message)


def test_the_recruitment_page_selects_only_organisations_not_yet_asked(
    client, signed_in, make_study, make_organisation, make_volunteer, mailbox
):
    from app.focus_groups.recruitment.invitations import send_recruitment_invitations

    study = make_study(slots=1)
    signed_in("organiser")
    new = make_organisation(name="New Council", contact_email="ict@new.example")
    sent = make_organisation(name="Sent Council", contact_email="ict@sent.example")
    pooled = make_organisation(name="Pooled Council", contact_email="ict@pooled.example")
    send_recruitment_invitations(study, [sent.id])
    add_volunteer(make_volunteer, study, organisation=pooled)
    page = page_text(client.get(f"/focus-groups/{study.id}/recruit"))
    ticked = set(re.findall(r'name="organisation" type="checkbox" value="(\d+)" checked', page))
    assert ticked == {str(new.id)}
    assert "All are selected" not in page and "sent the volunteer form" in page and "has volunteers" in page


def test_inviting_nobody_is_an_error(client, signed_in, make_study, make_organisation):
    study = make_study()
    signed_in("organiser")
    make_organisation()
    page = page_text(client.post(f"/focus-groups/{study.id}/recruit", data={"organisation": ["abc", "99999"]}))
    assert "There is a problem" in page and "Select at least one organisation to invite" in page


def test_the_import_lists_bad_rows_and_imports_nothing(client, signed_in, make_study):
    study = make_study(slots=2)
    signed_in("organiser")
    bad = HEADER + "1,Ann,ann@example.org,Cardiff,Wales,welsh,yes,1,2,\n2,Bob,bob@example.org,Kent,Kent,county,no,7,,\n"
    response = client.post(
        f"/focus-groups/{study.id}/volunteers/import",
        data={"file": (io.BytesIO(bad.encode()), "volunteers.csv"), "consent_confirmed": "y"},
        content_type="multipart/form-data",
    )
    page = page_text(response)
    assert "The file has 1 problem. Nothing was imported." in page
    assert re.search(r"<td[^>]*>3</td><td[^>]*>Region 'Kent' is not one of", page)
    assert "available names slot '7'" in page
    assert only_volunteer() is None


def test_the_import_needs_the_organiser_to_confirm_consent(client, signed_in, make_study):
    study = make_study(slots=2)
    signed_in("organiser")
    good = HEADER + "1,Ann,ann@example.org,Cardiff,Wales,welsh,yes,1,2,\n"
    url = f"/focus-groups/{study.id}/volunteers/import"
    page = page_text(
        client.post(url, data={"file": (io.BytesIO(good.encode()), "v.csv")}, content_type="multipart/form-data")
    )
    assert "Confirm that every person in the file has agreed" in page and only_volunteer() is None
    response = client.post(
        url,
        data={"file": (io.BytesIO(good.encode()), "v.csv"), "consent_confirmed": "y"},
        content_type="multipart/form-data",
    )
    assert response.headers["Location"] == f"/focus-groups/{study.id}/pool"
    assert "1 volunteers added" in page_text(client.get(response.headers["Location"]))
    assert only_volunteer().consent_version == "import"


def test_the_pool_shows_the_matrix_gaps_and_availability(client, signed_in, make_study, make_volunteer):
    study = make_study(slots=2)
    signed_in("organiser")
    empty = page_text(client.get(f"/focus-groups/{study.id}/pool"))
    assert "Nobody has volunteered yet" in empty and "There are no volunteers yet" in empty
    add_volunteer(make_volunteer, study, region="wales", council_type="welsh", available=study.slots[:1])
    add_volunteer(
        make_volunteer, study, region="wales", council_type="welsh", if_need_be=study.slots[:2], supports_schools=False
    )
    add_volunteer(make_volunteer, study, region="london", council_type="london-borough", available=study.slots[1:])
    page = page_text(client.get(f"/focus-groups/{study.id}/pool"))
    matrix = page[page.index('id="pool-matrix"') : page.index("</table>", page.index('id="pool-matrix"'))]
    wales = re.search(r"<th[^>]*>Wales</th>(.*?)</tr>", matrix, re.S).group(1)
    assert re.findall(r">(\d+|–)<", wales) == [
        "–",
        "–",
        "–",
        "–",
        "–",
        "–",
        "2",
        "–",
        "–",
        "2",
    ]  # Welsh council is the 7th column
    assert re.search(r"Volunteers so far</dt><dd[^>]*>3<", page)
    assert "12 (2 groups of 6)" in page and 'Reserves needed</dt><dd class="govuk-summary-list__value">3 ' in page
    assert "2 yes, 1 no" in page and "North East" in page
    availability = page[page.index('id="pool-availability"') :]
    assert re.findall(r'numeric">(\d+)</td>', availability)[:6] == ["1", "1", "1", "1", "1", "1"]


def test_the_volunteer_list_pages_and_filters(client, signed_in, make_study, make_volunteer):
    study = make_study(slots=0)
    signed_in("admin")
    for n in range(26):
        add_volunteer(make_volunteer, study, name=f"Person {n:02d}", region="wales" if n < 3 else "london")
    first = page_text(client.get(f"/focus-groups/{study.id}/pool"))
    assert "26 volunteers" in first and "Person 25" in first and "Person 00" not in first
    assert f"/focus-groups/{study.id}/pool?page=2" in first
    assert "Person 00" in page_text(client.get(f"/focus-groups/{study.id}/pool?page=2"))
    wales = page_text(client.get(f"/focus-groups/{study.id}/pool?region=wales"))
    assert "3 volunteers matching the filters" in wales and "Person 03" not in wales
    assert "No volunteers match these filters" in page_text(
        client.get(f"/focus-groups/{study.id}/pool?region=scotland")
    )


def test_a_volunteer_page_shows_consent_availability_and_history(client, signed_in, make_study, make_volunteer):
    study = make_study(slots=2)
    earlier = make_study(slots=1, title="Last year's groups")
    signed_in("organiser")
    volunteer = add_volunteer(
        make_volunteer, study, name="Ann Example", email="ann@example.org", available=study.slots[:1]
    )
    before = add_volunteer(
        make_volunteer, earlier, name="Ann Example", email="Ann@Example.org", available=earlier.slots[:1]
    )
    db.session.add(
        Placement(
            study_id=earlier.id,
            slot_id=earlier.slots[0].id,
            volunteer_id=before.id,
            status="accepted",
            attendance="attended",
            pseudonym="P2",
        )
    )
    db.session.commit()
    page = page_text(client.get(f"/focus-groups/{study.id}/volunteers/{volunteer.id}"))
    assert "Ann Example" in page and "ann@example.org" in page
    assert "The consent text they agreed to (version 2026-11)" in page and "You can withdraw at any time" in page
    assert "Not agreed" in page  # audio
    assert "Not placed in a group yet" in page
    assert "Last year's groups" in page and "Attended" in page and "Participant, Slot 1 (accepted)" in page
    assert client.get(f"/focus-groups/{earlier.id}/volunteers/{volunteer.id}").status_code == 404


def test_organisers_remove_a_volunteer_after_confirming(client, signed_in, make_study, make_volunteer):
    study = make_study(slots=1)
    signed_in("organiser")
    volunteer = add_volunteer(make_volunteer, study, name="Ann Example")
    url = f"/focus-groups/{study.id}/volunteers/{volunteer.id}/delete"
    assert "Remove Ann Example from the pool?" in page_text(client.get(url))
    response = client.post(url)
    assert response.headers["Location"] == f"/focus-groups/{study.id}/pool"
    assert "Ann Example has been removed from the pool" in page_text(client.get(response.headers["Location"]))
    assert only_volunteer() is None
    assert db.session.scalar(select(AuditEvent.actor_id).where(AuditEvent.action == "focus_groups.volunteer_deleted"))


def test_imported_consent_is_described_as_collected_elsewhere(client, signed_in, make_study):
    study = make_study(slots=1)
    volunteer, _ = save_volunteer(study, details(study), source="import", consent_version="import")
    db.session.commit()
    signed_in("organiser")
    page = page_text(client.get(f"/focus-groups/{study.id}/volunteers/{volunteer.id}"))
    assert "Collected outside this service" in page and "The consent text they agreed to" not in page


def test_a_nul_character_is_dropped_not_a_server_error(client, make_study, make_organisation):
    study = make_study(slots=1)
    org = make_organisation()
    response = client.post(f"/focus-groups/{study.id}/volunteer", data=form_data(study, org, name="Ann\x00 Example"))
    assert response.status_code == 302 and only_volunteer().name == "Ann Example"


def test_recruitment_invitations_run_twice_send_each_email_once(app, make_study, make_organisation, make_user, mailbox):
    """A recruitment job run again (after a restart, or "Try again") skips whom it already asked."""
    from sqlalchemy import update

    from app.focus_groups.recruitment.invitations import recruitment_invitations_job
    from app.jobs.models import Job
    from app.jobs.runner import start_job, try_again

    study = make_study(slots=2)
    ids = [make_organisation(contact_email=f"ict{n}@example.org").id for n in range(2)]
    organiser = make_user("organiser")
    job = start_job("invitations", "Recruiting", 2, recruitment_invitations_job, study.id, ids, organiser.id)
    assert len(mailbox) == 2
    db.session.execute(update(Job).where(Job.id == job.id).values(status="failed"))
    db.session.commit()
    assert try_again(job.id)
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "done" and len(db.session.get(Job, job.id).result["sent"]) == 2
    assert sorted(message["To"] for message in mailbox) == ["ict0@example.org", "ict1@example.org"]
