"""The results' rows and filters (results/dataset.py): filters say what they select."""

from app.surveys.results.dataset import Filters


def test_filters_describe_what_they_select():
    assert Filters().describe() == "All responding organisations"
    assert Filters(regions=("wales",), council_types=("welsh",), education="yes").describe() == (
        "Responding Welsh councils in Wales that provide ICT services to schools or pupils"
    )
    assert Filters(council_types=("county", "unitary")).describe() == (
        "Responding county councils or unitary authorities"
    )
    assert Filters(council_types=("other-public-body",)).describe() == "Responding other public bodies"
