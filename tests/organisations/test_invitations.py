"""Choosing organisations to invite, the same way on the survey's and the focus groups' invitation pages."""

from app.organisations.invitations import chosen_organisation_ids, organisations_matching


def test_organisations_are_chosen_by_region_and_council_type_by_name(app, make_organisation):
    kent = make_organisation(name="Kent", region="south-east", council_type="county")
    brent = make_organisation(name="Brent", region="london", council_type="london-borough")
    dover = make_organisation(name="Dover", region="south-east", council_type="district")
    assert organisations_matching() == [brent, dover, kent]
    assert organisations_matching(["south-east"]) == [dover, kent]
    assert organisations_matching(["south-east", "london"], ["county", "london-borough"]) == [brent, kent]
    assert organisations_matching(["atlantis"], ["castle"]) == [brent, dover, kent]  # unknown filters are ignored


def test_only_submitted_ids_that_name_an_organisation_are_kept(app, make_organisation):
    first, second = make_organisation(), make_organisation()
    submitted = [str(second.id), "999999", "not-a-number", "", str(first.id), str(second.id)]
    assert chosen_organisation_ids(submitted) == sorted([first.id, second.id])
    assert chosen_organisation_ids(["12abc", "-1"]) == []
