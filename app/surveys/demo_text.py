"""Free-text answers for the demo survey responses, written as council ICT leads write them.

Each answer is composed from hand-written fragments chosen by the organisation's other answers (does it
support schools, on what terms, what it counts in its benchmarking return, what kind of body it is), so a
district council talks about the county doing education, a London borough about LGfL, a fire service about
on-call crews, and an organisation that supports no schools never mentions pupils. Then a little of how
people really type: abbreviations, a dropped full stop, the odd spelling slip. A seeded `random.Random`
makes the same text every run.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

# Districts and the county that runs their schools (two-tier areas).
COUNTY_OF = {
    "Preston": "Lancashire", "Pendle": "Lancashire", "Charnwood": "Leicestershire", "Bassetlaw": "Nottinghamshire",
    "Cambridge": "Cambridgeshire", "Colchester": "Essex", "Tunbridge Wells": "Kent", "Wealden": "East Sussex",
    "Exeter": "Devon", "Stratford-on-Avon": "Warwickshire",
}  # fmt: skip

# Councils with the upper-tier services (social care, libraries): not districts, Northern Ireland's councils
# (libraries and care are run regionally there) or other public bodies.
UPPER_TIER = {"county", "unitary", "metropolitan-borough", "london-borough", "scottish", "welsh"}
TYPOS = {
    "receive": "recieve", "separate": "seperate", "definitely": "definately", "their": "thier",
    "which": "wich", "because": "becuase", "really": "realy", "necessary": "neccessary", "government": "goverment",
    "accommodate": "accomodate", "whether": "wether", "occasionally": "occasionaly", "support": "suport",
}  # fmt: skip
OFF_TOPIC = [
    "Happy to talk this through if useful.", "Would be good to see the results before our Improve return is due.",
    "Survey was fine btw, bit long on a phone.", "Sorry, rushed this one - on leave from tomorrow.",
    "Can we get the results split by council type please?", "Not sure this is the right question to be asking tbh.",
    "Our head of finance may have a different view!",
]  # fmt: skip
OPENERS = ["", "", "", "", "Tricky one.", "Personally -", "Short answer:", "Speaking for us only:", "Good question."]
NOTHING = ["n/a", "N/A", "No.", "none", "Nothing to add.", "-", "Not really.", "see previous answer"]


@dataclass(frozen=True)
class Profile:
    """What an organisation's answers say about it, read once for every text it writes."""

    name: str
    region: str
    council_type: str
    schools: bool
    staff: int
    pupils: int
    school_staff: int
    partners: int
    residents: int
    staff_level: str
    pupil_level: str
    funding: str
    counted: tuple[str, ...]
    agrees: str

    @property
    def body(self) -> str:
        """The kind of organisation: fire, police, park, combined, district, ni, or council."""
        for word, kind in (("Fire", "fire"), ("Police", "police"), ("National Park", "park"), ("Combined", "combined")):
            if word in self.name:
                return kind
        return {"district": "district", "northern-ireland-district": "ni"}.get(self.council_type, "council")

    @property
    def traded(self) -> bool:
        return self.schools and (self.funding == "traded" or self.staff_level == "separate")


def profile_of(name: str, region: str, council_type: str, answers: dict[str, Any]) -> Profile:
    """The profile of an organisation from its survey answers."""
    users = answers.get("users", {})
    levels = answers.get("service_level", {})
    return Profile(
        name=name,
        region=region,
        council_type=council_type,
        schools=answers.get("provides_education") == "yes",
        staff=users.get("office_staff", 0) + users.get("frontline_staff", 0),
        pupils=users.get("pupils", 0),
        school_staff=users.get("school_staff", 0),
        partners=users.get("partners", 0),
        residents=users.get("residents", 0),
        staff_level=levels.get("school_staff", ""),
        pupil_level=levels.get("pupils", ""),
        funding=answers.get("pupil_funding", ""),
        counted=tuple(answers.get("counted_in_benchmark", ())),
        agrees=answers.get("pupils_should_count", "neither"),
    )


def approx(rng: random.Random, number: int, bare: bool = False) -> str:
    """A number as people round it in a comment box ("about 41,000", "~41,000", "41k"); `bare`: without a
    word before it, for the start of a sentence or after "our"."""
    if number >= 10000 and rng.random() < 0.35:
        return f"{round(number / 1000)}k"
    rounded = round(number, -3) if number >= 5000 else round(number, -2) if number >= 500 else number
    return ("" if bare else rng.choice(["about ", "approx ", "~", "c.", "around ", ""])) + f"{rounded:,}"


def roughen(rng: random.Random, text: str) -> str:
    """Type the text as a busy person does: sometimes lower case, '&', no final stop, a slip."""
    if rng.random() < 0.12:
        text = text.replace(" and ", " & ", 1)
    if rng.random() < 0.18:
        words = [w for w in TYPOS if re.search(rf"\b{w}\b", text)]
        if words:
            word = rng.choice(words)
            text = re.sub(rf"\b{word}\b", TYPOS[word], text, count=1)
    if rng.random() < 0.2 and text.endswith("."):
        text = text[:-1]
    if rng.random() < 0.12 and text[:1].isupper() and not text[:2].isupper():
        text = text[0].lower() + text[1:]
    return text


def _join(rng: random.Random, parts: list[str]) -> str:
    parts = [p for p in parts if p]
    glue = " " if rng.random() < 0.8 else "\n"
    return glue.join(parts)


def _opened(rng: random.Random, text: str) -> str:
    """The text, sometimes after a few words of preamble ("Short answer: count ...")."""
    opener = rng.choice(OPENERS)
    if not opener:
        return text
    if opener.endswith((":", "-")) and not text[:2].isupper():
        text = text[0].lower() + text[1:]
    return f"{opener} {text}"


# Remarks only someone from this kind of council would make (about its schools).
LOCAL = {
    "london-borough": [
        "Most of our schools get connectivity and filtering through LGfL so we only see part of the picture.",
        "London is different - lots of our staff are shared with neighbouring boroughs.",
        "Academisation in the borough means the number we support drops every year.",
    ],
    "welsh": [
        "In Wales the Hwb platform covers a lot of the pupil accounts so the split is muddier.",
        "Welsh Government EdTech money paid for most of the school kit, we support it.",
        "Everything we send out is bilingual, which adds to the support effort for schools too.",
    ],
    "scottish": [
        "Pupils use Glow for a lot of things, but the devices and the network are ours.",
        "In Scotland all the schools are ours - no academies - so the numbers are big.",
        "Rural schools on poor connectivity take a disproportionate amount of engineer time.",
    ],
}


def _local(rng: random.Random, p: Profile) -> str:
    """A remark only someone from this kind of council would make, or nothing."""
    return rng.choice(LOCAL[p.council_type]) if p.council_type in LOCAL else ""


def pupils_reason(rng: random.Random, p: Profile) -> str:
    """Why the organisation agrees or not that pupils should count as users."""
    if not p.schools:
        extra = rng.choice(
            [
                "Happy to be guided by those who do.",
                "Our odd group is residents on the library PCs."
                if p.council_type in UPPER_TIER
                else "Our odd group is the public on our Wi-Fi.",
                "Elected members are the group that skews our figures." if p.body != "police" else "",
                rng.choice(OFF_TOPIC),
                "",
                "",
            ]
        )
        return roughen(rng, _join(rng, [_no_schools_reason(rng, p), extra]))
    n = approx(rng, p.pupils)
    return _schools_reason(rng, p, n)


def _no_schools_reason(rng: random.Random, p: Profile) -> str:
    if p.body == "district":
        county = next((c for d, c in COUNTY_OF.items() if p.name.startswith(d)), "the county council")
        return rng.choice(
            [
                f"Education is {county}'s, not ours, so no strong view.",
                f"Not applicable - we're a district. Schools ICT sits with {county}.",
                "We don't provide anything to education so I can't really say. Two-tier areas will differ.",
                f"n/a for a district. Ask {county}!",
            ]
        )
    if p.body == "ni":
        return rng.choice(
            [
                "Schools in NI are the Education Authority's, and C2k does their ICT, so not one for us.",
                "Not relevant to a NI district council, education isn't a council function here.",
            ]
        )
    if p.body in ("fire", "police", "park", "combined"):
        return rng.choice(
            [
                "We don't have any education function so this doesn't apply to us.",
                "N/A to us, but the same argument applies to our volunteers - they use our kit and aren't counted.",
                "No view, we don't support schools. Our odd group is partner staff in shared buildings.",
            ]
        )
    return rng.choice(
        [
            "We don't support any schools now (all academies with their own providers), so neutral."
            if p.region not in ("scotland", "wales")
            else "Our schools get their ICT through a separate education service now, so neutral.",
            "Can't really comment as we don't support education, but I can see why it matters for those that do.",
            "Not something we deal with. Library PC users are our equivalent headache.",
        ]
    )


def _schools_reason(rng: random.Random, p: Profile, n: str) -> str:
    if p.agrees in ("agree", "strongly-agree"):
        core = rng.choice(
            [
                f"We have {n} pupil accounts in our directory. If they have a login they're a user, simple as that.",
                f"Our spend includes the schools network but the user count leaves out the pupils on it ({n}), "
                "so our cost per user looks awful next to a district.",
                "Our filtering logs alone show pupils are the heaviest users of the network by volume.",
                "Every Chromebook we enrol is another device to manage, patch and eventually replace.",
                "Pupils are on our network, our filtering and our identity platform. Leaving them out hides real work.",
                "Teachers raise tickets on pupils' behalf all the time - the demand is there, counted or not.",
                f"{approx(rng, p.pupils, bare=True)} pupils is the biggest group we serve by a mile. Not counting "
                "them makes the benchmark fiction.",
            ]
        )
        extra = rng.choice(
            [
                "Even on a traded basis they're still on our kit and our service desk takes the calls."
                if p.traded
                else "",
                "Term-time peaks (Sept especially) are driven almost entirely by schools.",
                "But they should be shown separately, not blended into one number.",
                "The Improve numbers have never reflected what we actually do.",
                _local(rng, p),
                "",
            ]
        )
    elif p.agrees == "neither":
        core = rng.choice(
            [
                "Depends what you want to compare. For cost per user, no. For scale of service, yes.",
                "They should count, but not as the equal of a member of staff - a pupil login is not a social worker "
                "with a laptop, two phones and 14 line of business apps.",
                "Happy either way as long as everyone does it the same way. Right now nobody does.",
                f"Weighted maybe? {n} pupils generate nowhere near the work of the same number of staff.",
                "Some of our schools buy everything from us, some just broadband. Hard to give one answer.",
                "Count them for scale, leave them out of cost measures. Both views are valid.",
            ]
        )
        extra = rng.choice(
            [
                "Pupils mostly hit the network and filtering, not the service desk.",
                "Need a proper discussion at the focus group I think.",
                _local(rng, p),
                "",
            ]
        )
    else:
        core = rng.choice(
            [
                "Schools are customers, not users. They buy a service from us under an SLA."
                if p.traded
                else "Schools have their own technicians; we provide the pipe and the filtering, that's it.",
                f"Counting {n} pupils would swamp our {approx(rng, p.staff, bare=True)} staff and make every "
                "per-user figure meaningless.",
                "It would make us look artificially cheap per user compared with councils without schools.",
                "Pupils don't place anything like the same load. Most never contact us directly.",
                "Benchmarking is about the corporate ICT service. Schools are a separate business for us.",
                "We'd need a separate cost model for schools first, otherwise the figure means nothing.",
            ]
        )
        extra = rng.choice(
            ["Count school staff maybe, but not pupils.", "The traded income is separate anyway.", _local(rng, p), ""]
        )
    return roughen(rng, _join(rng, [_opened(rng, core), extra]))


def users_counting(rng: random.Random, p: Profile) -> str:
    """How the organisation thinks users should be counted for benchmarking."""
    basis = rng.choice(
        [
            "Count named accounts that have signed in during the last 90 days, split by category.",
            "Headcount, not FTE. A part-timer still needs a device, a licence and a password reset.",
            "Count the people the service desk will take a call from. That's who we actually support.",
            "Keep the current definition (employees) so the trend data still works, and add the other groups as "
            "separate lines alongside.",
            "Devices rather than people would be easier to get right and closer to the real workload.",
            "Licences are probably the best proxy we have - E3/E5 vs F3 tells you a lot about who the user is.",
            "Core users (staff, members) in the headline figure, 'reach' users (residents, partners) reported "
            "separately.",
            "Honestly I'd weight them: office staff 1, frontline 0.7, school staff 0.5, anyone else less.",
            "Whatever the rule is, it needs to be something we can pull from AD/Entra in an afternoon, not a "
            "week's work.",
            "Mailboxes is what we report now. It over-counts leavers and shared mailboxes but it's consistent.",
            "Anyone we hold an identity for and have to secure - that's the real liability, whoever employs them.",
            "By cost centre, so the spend and the users line up. Otherwise cost per user is meaningless.",
            "A census date each year (say 31 March) and a simple rule for starters/leavers.",
        ]
    )
    if p.schools:
        specific = rng.choice(
            [
                "Pupils should be their own category and never mixed into the headline cost per user.",
                f"School staff on our SLA ({approx(rng, p.school_staff)}) should be in; pupils out, as the school's "
                "techs deal with them."
                if p.pupil_level in ("none", "best-efforts")
                else f"Pupils in, but flagged - we run {approx(rng, p.pupils)} pupil accounts on the same tenancy.",
                "Schools that buy back our traded service should count; the ones that buy elsewhere obviously not."
                if p.traded
                else "",
                "We count school staff already but not pupils, which I think is about right."
                if "school_staff" in p.counted and "pupils" not in p.counted
                else "",
                _local(rng, p),
                "Count schools as customers (number of settings, devices) rather than pupils as users.",
                "Term-time vs holiday demand is so different for schools that an annual average hides it.",
            ]
        )
    elif p.body == "fire":
        specific = rng.choice(
            [
                "For us the awkward group is on-call firefighters - hundreds of accounts, a few logins a month.",
                "Station-based crews share devices on the appliance bay, so per-person counts don't fit well.",
            ]
        )
    elif p.body == "police":
        specific = rng.choice(
            [
                "Officers, PCSOs and staff all count; specials and volunteers are the grey area.",
                "We already report headcount to the Home Office, so using the same figure would save effort.",
            ]
        )
    elif p.body == "park":
        specific = "We are tiny - rangers and volunteers are half our users and they're rarely at a desk."
    elif p.body == "combined":
        specific = "We host staff from constituent councils on some systems - count them once, at whoever runs the kit."
    elif p.body == "ni":
        specific = "For us the council definition is fine; we have no education users."
    else:
        specific = rng.choice(
            [
                "Councillors should be in as full users, they take a disproportionate amount of support.",
                "Contractors and agency staff are a big swing factor year to year - count them at a census date.",
                f"We host {approx(rng, p.partners)} NHS and partner staff under integrated care - in, but flagged."
                if p.partners >= 200 and p.council_type in UPPER_TIER
                else "",
            ]
        )
    tail = rng.choice(
        [
            f"{'Library PC and public' if p.council_type in UPPER_TIER else 'Public'} Wi-Fi users "
            f"({approx(rng, p.residents)} a month here) shouldn't count as users, but the load should show up "
            "somewhere."
            if p.residents
            else "",
            "At the moment everyone reads the guidance differently so the comparisons are not worth much.",
            "Shared accounts and shared devices are the tricky bit.",
            "Whatever changes, give us a year's notice so we can set up the reporting.",
            "Would help if the definition matched the one CIPFA uses.",
            rng.choice(OFF_TOPIC) if rng.random() < 0.3 else "",
            "",
            "",
        ]
    )
    if rng.random() < 0.12:
        return rng.choice(
            ["Headcount.", "AD accounts, active ones.", "as now", "Don't know - happy to follow guidance"]
        )
    return roughen(rng, _join(rng, [_opened(rng, basis), specific, tail]))


# Who gets a different service in bodies that are not councils.
PRIORITY_GROUPS = {
    "fire": [
        "Control room systems are on a different tier entirely - 24/7, four-hour fix. Everyone else waits.",
        "On-call crews get a lesser service simply because they're hard to reach in working hours.",
        "Station kit is fixed on the next engineer visit unless it affects mobilising.",
    ],
    "police": [
        "Anything touching the control room or custody is P1 whatever the time of day.",
        "Officers on shift get priority over staff in HQ, for obvious operational reasons.",
        "Specials and volunteers get best efforts - they're only on a few hours a month.",
    ],
    "park": [
        "Rangers out on the moor get a worse service - patchy signal, no desk, kit in a Land Rover.",
        "Volunteers have shared logins on two PCs in the visitor centre, and that's about it.",
    ],
    "combined": [
        "The mayor's office gets priority. Nobody's going to argue with that.",
        "Staff seconded from the constituent councils get support from their home council, not us.",
    ],
}


def service_differences(rng: random.Random, p: Profile) -> str:
    """Which groups get a markedly different service, and why."""
    if rng.random() < 0.1:
        return rng.choice(NOTHING)
    parts = []
    if p.body in PRIORITY_GROUPS:
        parts.append(rng.choice(PRIORITY_GROUPS[p.body]))
    elif rng.random() < 0.55:
        parts.append(
            rng.choice(
                [
                    "Councillors get a VIP service - same day, no queue. Politically it's not optional.",
                    "Members have a dedicated line and get seen first, as do the chief exec's office.",
                    "Yes - councillors. Partly because they're not IT confident and partly because complaints go "
                    "straight to the leader.",
                    "Senior leadership and members are prioritised, which everyone knows but nobody writes down.",
                    "Members and their casework get a named engineer. It's in the constitution, more or less.",
                    "The Lord Provost's office gets priority. Nobody's going to argue with that."
                    if p.region == "scotland"
                    else "The mayor's office gets priority. Nobody's going to argue with that.",
                ]
            )
        )
    if p.schools:
        staff = {
            "same": "School staff get exactly the same SLA as corporate, it's one service desk.",
            "separate": "Schools get whatever tier they buy: gold gets a tech on site weekly, bronze gets the service "
            "desk only.",
            "best-efforts": "School staff are best endeavours - they go to the back of the queue when it's busy, and "
            "September is a nightmare.",
        }.get(p.staff_level, "")
        pupils = {
            "none": "We don't support pupils directly at all; the school's own technician deals with them.",
            "separate": "Pupil devices and accounts sit under the traded agreement, not our corporate SLA.",
            "best-efforts": "Pupil issues are best efforts only, mostly password resets and filtering requests.",
            "same": "In theory pupils get the same service, in practice the school logs it for them.",
        }.get(p.pupil_level, "")
        parts.append(rng.choice([staff, pupils, f"{staff} {pupils}".strip()]))
        parts.append(
            rng.choice(
                [
                    "Safeguarding requests (filtering, blocked sites) jump the queue for obvious reasons.",
                    "Why? Because they pay for it, basically." if p.traded else "Why? Resource, mostly.",
                    _local(rng, p),
                    "",
                ]
            )
        )
    elif p.body in ("council", "district", "ni"):
        parts.append(
            rng.choice(
                [
                    f"Frontline staff ({'carers, ' if p.council_type in UPPER_TIER else ''}refuse crews, enforcement) "
                    "honestly get a worse service - shared devices and no desk to walk up to.",
                    "Residents on library PCs get almost no support, just a reboot if the library rings it in."
                    if p.council_type in UPPER_TIER
                    else "The public Wi-Fi in our leisure centres gets no support at all, it's best efforts.",
                    "Partner staff in shared buildings are supported on our kit only; we can't touch theirs.",
                    "Agency staff often wait days for an account, which causes a lot of friction.",
                    "Home workers get a slightly worse service since we stopped desk-side visits.",
                    "Not in any formal sense. Everyone is on the same SLA and the same queue.",
                ]
            )
        )
    if rng.random() < 0.2:
        parts.append(rng.choice(OFF_TOPIC))
    text = _join(rng, parts)
    return roughen(rng, text) if text else rng.choice(NOTHING)


SETTINGS_OTHER = [
    "Hospital school", "Virtual school for looked-after children", "Outdoor education centres",
    "Music service", "Council-run nursery schools", "Adult community learning centres", "Secure children's home",
    "Sixth form centre (council run)", "Alternative provision",
]  # fmt: skip
SERVICES_OTHER = [
    "Telephony for schools", "CCTV and door entry", "School websites", "Cashless catering and payments",
    "Interactive panels and AV", "Print management", "Network cabling and Wi-Fi surveys", "Google Workspace admin",
    "Cyber awareness training for governors", "Data migration when schools change MIS",
]  # fmt: skip
FUNDING_OTHER = [
    "De-delegated budget agreed at Schools Forum", "Capital programme for the kit, revenue from schools for support",
    "Schools pay per device per year", "Part of the wider education SLA, not itemised",
]  # fmt: skip
FUNDING_OTHER_BY_REGION = {
    "wales": ["Hwb EdTech grant from Welsh Government", "School contributions", "Council capital for the network"],
    "scotland": ["Devolved School Management budgets", "Council capital for the network", "Pupil Equity Funding"],
}


def specify(rng: random.Random, pool: list[str], p: Profile) -> str:
    """A 'please specify' answer: one or two items from the pool, as typed."""
    if pool is FUNDING_OTHER and p.region in FUNDING_OTHER_BY_REGION:
        pool = FUNDING_OTHER_BY_REGION[p.region]
    picked = rng.sample(pool, rng.choice([1, 1, 2]))
    text = rng.choice([", ", " and ", " / "]).join(picked)
    return text if rng.random() < 0.7 else text.lower()
