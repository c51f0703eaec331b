"""`flask focus-groups compose` over real CSV files."""

from __future__ import annotations

import csv

SLOTS = "slot_id,starts_at,capacity\nmon,2055-03-01T10:00,8\ntue,2055-03-02T14:00,8\nwed,2055-03-03T10:00,8\n"
HEADER = "volunteer_id,name,email,organisation,region,council_type,supports_schools,available,if_need_be\n"
PLACES = [
    ("London", "London borough"),
    ("Wales", "Welsh council"),
    ("Scotland", "Scottish council"),
    ("North East", "Unitary authority"),
    ("South East", "County council"),
    ("North West", "Metropolitan borough"),
    ("East of England", "District council"),
]


def volunteers_csv(count=14):
    rows = [HEADER]
    for n in range(count):
        region, council_type = PLACES[n % len(PLACES)]
        schools = "yes" if n % 3 else "no"
        rows.append(f"v{n},Person {n},p{n}@example.org,Council {n},{region},{council_type},{schools},mon;tue,wed\n")
    return "".join(rows)


def run(runner, tmp_path, volunteers, slots=SLOTS, *extra):
    (tmp_path / "volunteers.csv").write_text(volunteers)
    (tmp_path / "slots.csv").write_text(slots)
    output = tmp_path / "groups.csv"
    args = ["focus-groups", "compose", "--volunteers", str(tmp_path / "volunteers.csv")]
    args += ["--sessions", str(tmp_path / "slots.csv"), "--groups", "2", "--output", str(output), *extra]
    return runner.invoke(args=args), output


def test_writes_the_groups_and_explains_them(runner, tmp_path):
    result, output = run(runner, tmp_path, volunteers_csv())
    assert result.exit_code == 0, result.output
    assert "2 of 2 groups formed (proven optimal" in result.output
    assert "Wrote" in result.output
    rows = list(csv.DictReader(output.read_text().splitlines()))
    assert set(rows[0]) == {"volunteer_id", "slot_id", "role"}
    participants = [r for r in rows if r["role"] == "participant"]
    reserves = [r for r in rows if r["role"] == "reserve"]
    assert len(participants) == 12
    assert len(reserves) == 2
    assert {r["slot_id"] for r in participants} == {"mon", "tue"}
    assert len({r["volunteer_id"] for r in rows}) == len(rows)


def test_sizes_and_organisation_rule_are_options(runner, tmp_path):
    result, output = run(
        runner, tmp_path, volunteers_csv(10), SLOTS, "--min-size", "3", "--target-size", "4", "--max-size", "5"
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(output.read_text().splitlines()))
    per_slot = {}
    for row in rows:
        if row["role"] == "participant":
            per_slot[row["slot_id"]] = per_slot.get(row["slot_id"], 0) + 1
    assert sorted(per_slot.values()) == [4, 4]


def test_bad_rows_are_reported_by_line_and_nothing_is_written(runner, tmp_path):
    bad = HEADER + (
        "v1,A,a@example.org,Council A,Atlantis,County council,yes,mon,\n"
        "v2,B,b@example.org,Council B,London,Parish,maybe,fri,\n"
        "v1,C,c@example.org,Council C,Wales,Welsh council,no,mon;tue,mon\n"
    )
    result, output = run(runner, tmp_path, bad)
    assert result.exit_code != 0
    assert "volunteers.csv, line 2: region 'Atlantis' is not one of: North East," in result.output
    assert "volunteers.csv, line 3: council type 'Parish' is not one of: " in result.output
    assert "volunteers.csv, line 3: supports_schools 'maybe' must be yes or no" in result.output
    assert "volunteers.csv, line 3: available names slots that are not in the sessions file: fri" in result.output
    assert "volunteers.csv, line 4: volunteer_id v1 appears twice" in result.output
    assert "nothing was written" in result.output
    assert "Traceback" not in result.output
    assert not output.exists()


def test_bad_sessions_file_is_reported(runner, tmp_path):
    slots = "slot_id,starts_at,capacity\nmon,next monday,8\ntue,2055-03-02T14:00,none\n"
    result, output = run(runner, tmp_path, volunteers_csv(), slots)
    assert result.exit_code != 0
    assert "slots.csv, line 2: starts_at 'next monday' is not a date and time" in result.output
    assert "slots.csv, line 3: capacity 'none' is not a whole number" in result.output
    assert not output.exists()
    missing = run(runner, tmp_path, "volunteer_id,name\n")[0]
    assert "line 1: The first line must name the columns volunteer_id, name, email" in missing.output
    assert "(missing: email, organisation, " in missing.output


def test_a_file_that_is_not_text_is_refused_in_one_line(runner, tmp_path):
    (tmp_path / "volunteers.csv").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    (tmp_path / "slots.csv").write_text(SLOTS)
    result = runner.invoke(
        args=[
            "focus-groups",
            "compose",
            "--volunteers",
            str(tmp_path / "volunteers.csv"),
            "--sessions",
            str(tmp_path / "slots.csv"),
            "--groups",
            "2",
            "--output",
            str(tmp_path / "out.csv"),
        ]
    )
    assert result.exit_code != 0
    assert "is not a UTF-8 text (CSV) file" in result.output
    assert "Traceback" not in result.output
