"""The phase banner, the footer's help and contact details, the help page, the accessibility statement and
the privacy notice: what they say comes from config (CONTACT_*, PHASE_BANNER, FEEDBACK_URL)."""

import html
import re

import pytest


def page_text(markup: str) -> str:
    """The words a person reads on the page: tags dropped, entities decoded, spaces collapsed."""
    text = re.sub(r"<[^>]+>", " ", markup)
    return re.sub(r"\s+", " ", html.unescape(text)).replace(" .", ".").replace(" ,", ",").strip()


PUBLIC_PAGES = ["/", "/sign-in", "/contact", "/privacy", "/accessibility"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_page_says_the_service_is_in_beta_and_asks_for_feedback(client, path):
    html = client.get(path).get_data(as_text=True)
    assert "govuk-phase-banner" in html
    assert "This is a new service. Help us improve it and give your feedback by email." in page_text(html)
    assert 'href="mailto:research@socitm.example?subject=Feedback%20on%20Socitm%20member%20research"' in html


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_footer_gives_help_and_contact_details(client, path):
    text = page_text(client.get(path).get_data(as_text=True))
    footer = text[text.index("Help and contact If you need help") :]
    assert "Email: research@socitm.example" in footer
    assert "Monday to Friday, 9am to 5pm (except bank holidays)" in footer
    assert "Telephone" not in footer  # no number is configured by default
    assert "Help and contact Privacy Accessibility statement" in footer


def test_contact_details_and_feedback_link_follow_the_config(app, client):
    app.config.update(
        CONTACT_EMAIL="help@council-research.example",
        CONTACT_PHONE="020 7946 0000",
        CONTACT_HOURS="Tuesday to Thursday, 10am to 4pm",
        CONTACT_RESPONSE_DAYS=2,
        FEEDBACK_URL="https://forms.example/feedback",
    )
    for path in ["/contact", "/accessibility", "/privacy"]:
        html = client.get(path).get_data(as_text=True)
        text = page_text(html)
        assert "Email: help@council-research.example Telephone: 020 7946 0000 Tuesday to Thursday, 10am to 4pm" in text
        assert "research@socitm.example" not in html
        assert 'href="https://forms.example/feedback">give your feedback</a>' in html
    assert "We aim to reply within 2 working days." in page_text(client.get("/contact").get_data(as_text=True))


def test_the_phase_banner_goes_when_the_service_leaves_beta(app, client):
    app.config["PHASE_BANNER"] = False
    html = client.get("/contact").get_data(as_text=True)
    assert "govuk-phase-banner" not in html and "This is a new service" not in html
    assert "Give feedback" not in page_text(html)


def test_the_help_page_says_whom_to_ask_about_what(client):
    text = page_text(client.get("/contact").get_data(as_text=True))
    for heading in ["If you cannot sign in", "Answering the survey", "Focus groups", "Your data", "Accessibility"]:
        assert heading in text
    assert "privacy@socitm.example" in text  # questions about data go to the data protection contact


def test_the_accessibility_statement_follows_the_gov_uk_model(app, client):
    app.config.update(ACCESSIBILITY_STATEMENT_PREPARED="1 March 2027", ACCESSIBILITY_STATEMENT_REVIEWED="2 April 2027")
    text = page_text(client.get("/accessibility").get_data(as_text=True))
    for heading in [
        "Accessibility statement for Socitm member research",
        "How accessible this service is",
        "Feedback and contact information",
        "Reporting accessibility problems with this service",
        "Enforcement procedure",
        "Compliance status",
        "Non-accessible content",
        "Preparation of this accessibility statement",
    ]:
        assert heading in text
    assert "partially compliant with the Web Content Accessibility Guidelines version 2.2 AA standard" in text
    assert "Equality Advisory and Support Service (EASS)" in text
    assert "This statement was prepared on 1 March 2027. It was last reviewed on 2 April 2027." in text
    assert f"signed out after {app.config['IDLE_TIMEOUT_MINUTES']} minutes without activity" in text
    assert "Email: research@socitm.example" in text


def test_the_privacy_notice_gives_both_contacts(app, client):
    app.config.update(PRIVACY_CONTACT_EMAIL="dpo@socitm.example", CONTACT_EMAIL="team@socitm.example")
    text = page_text(client.get("/privacy").get_data(as_text=True))
    assert "For questions about your data, email dpo@socitm.example." in text
    assert "For anything else about the service: Email: team@socitm.example" in text
