"""Regions and council types (shared/DOMAIN.md): stable slugs with their labels."""

REGIONS: dict[str, str] = {
    "north-east": "North East",
    "north-west": "North West",
    "yorkshire-and-the-humber": "Yorkshire and the Humber",
    "east-midlands": "East Midlands",
    "west-midlands": "West Midlands",
    "east-of-england": "East of England",
    "london": "London",
    "south-east": "South East",
    "south-west": "South West",
    "scotland": "Scotland",
    "wales": "Wales",
    "northern-ireland": "Northern Ireland",
}

COUNCIL_TYPES: dict[str, str] = {
    "county": "County council",
    "district": "District council",
    "unitary": "Unitary authority",
    "metropolitan-borough": "Metropolitan borough",
    "london-borough": "London borough",
    "scottish": "Scottish council",
    "welsh": "Welsh council",
    "northern-ireland-district": "Northern Ireland district council",
    "other-public-body": "Other public body",
}

# Each council type in the plural, for the middle of a sentence ("county councils or unitary authorities").
COUNCIL_TYPE_GROUPS: dict[str, str] = {
    "county": "county councils",
    "district": "district councils",
    "unitary": "unitary authorities",
    "metropolitan-borough": "metropolitan boroughs",
    "london-borough": "London boroughs",
    "scottish": "Scottish councils",
    "welsh": "Welsh councils",
    "northern-ireland-district": "Northern Ireland district councils",
    "other-public-body": "other public bodies",
}


def _lookup(table: dict[str, str], value: str) -> str | None:
    """Find a slug from a slug or a label, ignoring case and surrounding spaces."""
    wanted = " ".join(value.split()).lower()
    for slug, label in table.items():
        if wanted in (slug, label.lower()):
            return slug
    return None


def region_slug(value: str) -> str | None:
    """The region slug for a slug or label such as "Yorkshire and the Humber"."""
    return _lookup(REGIONS, value)


def council_type_slug(value: str) -> str | None:
    """The council-type slug for a slug or label such as "London borough"."""
    return _lookup(COUNCIL_TYPES, value)
