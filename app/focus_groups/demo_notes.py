"""The demo's session notes: three sessions of "Who are our users?", as a facilitator types them.

Each note is (guide question position or None for general, kind, text, who it concerns). Who it concerns
is a string of role letters, one per participant, filled in with the session's pseudonyms when loaded
(`ROLES`): "S" someone whose organisation supports schools, "E" one supporting schools in England (where
academies are), "N" someone whose organisation does not, "C" someone from a council (not a fire service,
police force or park), "K" a council supporting no schools, "D" a district council, "L" a council running
libraries and social care, "A" anyone. The text names them only as {0}, {1}... (their pseudonyms), never by
name. A note whose roles the session cannot fill is left out, so nobody without schools is ever quoted
about "our pupils", nor a park about councillors.

"online:" or "room:" before a text keeps it to a session held online or in a room (the chatter
about dropped calls and coffee).
"""

from __future__ import annotations

DemoNote = tuple[int | None, str, str, str]
ENGLAND_EXCEPTED = ("scotland", "wales", "northern-ireland")
UPPER_TIER = {"county", "unitary", "metropolitan-borough", "london-borough", "scottish", "welsh"}
ROLES = {
    "A": lambda v: True,
    "S": lambda v: v.supports_schools,
    "E": lambda v: v.supports_schools and v.region not in ENGLAND_EXCEPTED,
    "N": lambda v: not v.supports_schools,
    "C": lambda v: v.council_type != "other-public-body",
    "K": lambda v: not v.supports_schools and v.council_type != "other-public-body",
    "D": lambda v: v.council_type == "district",
    "L": lambda v: v.council_type in UPPER_TIER,
}

SESSION_1: list[DemoNote] = [
    (None, "observation", "online:Intros. 6 on the call, {0} camera off (on a train, dodgy signal).", "A"),
    (None, "action", "Recording started after everyone confirmed consent again.", ""),
    (1, "key_point", "Most of the group count a user as anyone with an account on the council's network.", ""),
    (1, "quote", "If they can ring our service desk, they're a user, whatever the benchmark says.", "A"),
    (1, "observation", "Disagreement on whether a shared library PC counts as one user or many.", "AA"),
    (1, "quote", "A user is a person with a login. Not a device, not a mailbox. A person.", "A"),
    (1, "observation", "{0}: ~30% more AD accounts than staff - leavers, service accounts, shared mailboxes.", "A"),
    (
        1,
        "quote",
        "Half our councillors never touch our kit. Own iPads, own phones, Gmail. Are they users? Barely.",
        "C",
    ),
    (2, "quote", "We support 40,000 pupils and none of them appear in our cost per user.", "S"),
    (2, "key_point", "Councils with traded services to schools all support users outside the definition.", ""),
    (
        2,
        "observation",
        "{0} - gap for them is partner staff in shared buildings (police, DWP, charities), not schools.",
        "N",
    ),
    (2, "quote", "Our definition is basically whoever's on payroll. That's maybe half the people we look after.", "S"),
    (2, "observation", "{0} raised M365 guest accounts - hundreds of externals in Teams, nobody counts them.", "A"),
    (2, "quote", "Residents with an online account aren't users. But they lock themselves out like users do.", "A"),
    (None, "observation", "online:{0} dropped off the call, back after 4 mins. Missed the end of Q2.", "A"),
    (3, "observation", "Pupils were the biggest group for the county councils here. Office staff came second.", "S"),
    (3, "quote", "Pupils are about three quarters of our accounts, but maybe a tenth of our tickets.", "S"),
    (3, "observation", "{0} couldn't give a split - HR and the schools team would give different numbers.", "A"),
    (3, "key_point", "Nobody has a reliable split by category. All estimates, some guesses.", ""),
    (3, "quote", "Office 60, frontline 30, members and the rest 10. No education at all for us.", "K"),
    (3, "quote", "I'd guess school staff are a fifth of our users and a third of the grief.", "S"),
    (
        3,
        "observation",
        "Group filled in the proportions grid - see the grid. {0} left pupils blank, doesn't know.",
        "S",
    ),
    (4, "quote", "Schools get best efforts; corporate users get the SLA. That's the honest answer.", "S"),
    (4, "observation", "Two participants said school staff take more support time per head than office staff.", "SS"),
    (4, "quote", "Members get a VIP line. Nobody writes it down but everyone knows.", "C"),
    (4, "observation", "{0}: frontline carers on shared tablets get the worst service of anyone.", "A"),
    (4, "quote", "September is carnage. Every school wants everything set up the same week.", "E"),
    (4, "key_point", "Differences are mostly about who pays (traded) and who shouts (members), not need.", ""),
    (None, "key_point", "Strong view that cost per user misleads while some count pupils and some don't.", ""),
    (None, "quote", "Improve should show per user with and without pupils. Two numbers. Done.", "S"),
    (None, "observation", "{0} and {1} both said the Improve return takes them days because of the user count.", "AA"),
    (2, "observation", "{0}: contractors on long projects have had accounts for 5+ years. Still 'temporary'.", "A"),
    (None, "quote", "We moved to a self-service portal and ticket volume went up, not down.", "A"),
    (None, "action", "Send the group the draft definition of a user for comment.", ""),
    (None, "action", "Chase {0} for their ticket split by category - said they can pull it from ServiceNow.", "A"),
    (None, "observation", "Ran 10 mins over. Q4 a bit rushed, worth starting there next time.", ""),
    (None, "observation", "online:Chat: {0} posted a link to their traded services brochure.", "S"),
]

SESSION_2: list[DemoNote] = [
    (None, "observation", "online:Waiting for people to join - started 5 mins late. Quick round of intros.", ""),
    (None, "observation", "online:{0} on audio only (bandwidth).", "A"),
    (None, "action", "Reminded the group about the recording and that notes use P numbers only.", ""),
    (1, "quote", "Honestly? A user is whoever generates a ticket. Everything else is accounting.", "A"),
    (1, "key_point", "Group wanted a definition that follows the identity, not the employer.", ""),
    (
        1,
        "observation",
        "{0}: casual and sessional staff log in twice a month - hard to call them users.",
        "A",
    ),
    (1, "quote", "We've got more volunteers than staff in some services. They get an account, so they count.", "N"),
    (1, "observation", "Long tangent on contractors - agency staff come and go weekly, counts swing 10%.", ""),
    (1, "quote", "Is the chief exec's PA's shared mailbox a user? Because it raises more tickets than most.", "C"),
    (2, "key_point", "Definition seen as out of date: written for office staff at desks, pre-cloud.", ""),
    (2, "quote", "Since we moved to M365 we've got partners, schools and suppliers all in the same tenant.", "S"),
    (
        2,
        "observation",
        "{0} described shared service with two neighbouring councils - users counted twice, or not at all.",
        "C",
    ),
    (2, "quote", "Our schools buy the network from us but the pupils' accounts are Google. Whose users are they?", "S"),
    (
        2,
        "observation",
        "{0}: public Wi-Fi in their libraries has 10x the users of the corporate network.",
        "L",
    ),
    (2, "key_point", "Self-service portals and online accounts bring residents in as 'users' of a sort.", ""),
    (2, "quote", "Residents aren't users, they're customers. Different thing, different measure.", "A"),
    (3, "quote", "I can tell you licences by type to the unit. People by category? No chance.", "A"),
    (3, "observation", "{0} has the split from their HR system but only for employees - nothing for partners.", "A"),
    (3, "key_point", "Data exists in pieces: HR for staff, MIS for pupils, nothing for volunteers or residents.", ""),
    (3, "quote", "Ask me to collect more data for Improve and I'll need another FTE. Honestly.", "A"),
    (3, "observation", "{0} estimated pupils 55%, school staff 10%, corporate the rest.", "S"),
    (3, "observation", "{0}: 'about 80% office-based, the rest frontline and members'.", "K"),
    (None, "observation", "online:{0} had to step away for 10 mins - incident at work.", "A"),
    (4, "quote", "Schools on the gold SLA get a tech on site every week. Bronze get a phone number.", "S"),
    (4, "observation", "{0}: safeguarding requests (filtering, blocks) jump every queue, schools or not.", "S"),
    (
        4,
        "key_point",
        "Nobody said pupils get the same service as staff. Most said pupils don't contact them at all.",
        "",
    ),
    (4, "quote", "Councillors get white glove. Politically there's no alternative.", "C"),
    (4, "quote", "Our CCTV control room gets a four-hour fix, 24/7. Everyone else is next working day.", "C"),
    (4, "observation", "{0} and {1} agree frontline/mobile staff get a worse service than office staff.", "AA"),
    (4, "quote", "We triage by impact, not by who you are. In theory.", "A"),
    (None, "key_point", "Demand: schools' load is seasonal - Sept and exam time - so annual averages hide it.", ""),
    (None, "quote", "Pupils don't ring us. Teachers ring us about pupils. That's the load.", "S"),
    (None, "observation", "{0} thinks a weighted user (pupil = 0.1) would be fairer for benchmarking.", "A"),
    (None, "quote", "Every KPI per user is meaningless until we agree what a user is. Full stop.", "A"),
    (1, "key_point", "Nobody uses the same definition as their neighbour. Some unsure what they sent to Improve.", ""),
    (2, "quote", "Cloud made it cheap to give anyone an account, so now everyone has one.", "A"),
    (None, "action", "Ask Socitm whether Improve could take user counts by category next year.", ""),
    (None, "action", "{0} to send their weighting model to the group.", "A"),
    (None, "observation", "online:Wrapped up on time. Good energy, {0} quiet throughout.", "A"),
]

SESSION_3: list[DemoNote] = [
    (None, "observation", "room:Coffee and intros, two arrived late (trains from Paddington).", ""),
    (None, "observation", "room:{0} joined by video on the screen - sound poor at first, fixed.", "A"),
    (None, "action", "Consent forms checked. Everyone happy with audio recording.", ""),
    (1, "quote", "We count people, not accounts. One person, one user, however many devices.", "A"),
    (1, "quote", "Half my users don't have an email address. Depot staff, wardens. They're still users.", "C"),
    (1, "key_point", "Consensus that 'user' should mean someone the ICT service supports directly.", ""),
    (
        1,
        "observation",
        "{0} pushed back: supporting 'directly' is vague - what about the school's own technician?",
        "S",
    ),
    (1, "observation", "Discussion of what 'supported' means - device, account, service desk, or all three.", ""),
    (
        2,
        "quote",
        "The definition says employees. We look after the police in our buildings, the ICB and the coroner.",
        "C",
    ),
    (2, "observation", "{0}: education is a county function for them - their issue is councillors and partners.", "D"),
    (2, "quote", "Every academy that leaves our SLA takes 400 users with it. The definition can't keep up.", "E"),
    (2, "observation", "{0} and {1} both host partner staff under integrated health and care.", "SS"),
    (2, "key_point", "Shared services and cloud blur who 'owns' a user. Group wants a rule for that.", ""),
    (3, "observation", "Worked through the proportions grid on paper - transferred to the grid after.", ""),
    (3, "quote", "Pupils 70%, give or take. School staff 10. Everyone else fights over the last 20.", "S"),
    (3, "quote", "We're all corporate. 85% office, 10% frontline, councillors the rest.", "K"),
    (3, "observation", "{0} not confident in their figures - 'pupil numbers are last year's census'.", "S"),
    (3, "key_point", "Counting is the hard part: the data sits in five systems owned by five teams.", ""),
    (3, "quote", "If you want numbers by category, give us a template and a year's notice.", "A"),
    (None, "observation", "room:Break, 10 mins. {0} took a call outside.", "A"),
    (4, "quote", "Pupils get no service from us at all. The school's technician is their service desk.", "S"),
    (4, "quote", "Schools pay, so schools get an SLA. Pupils don't pay, so pupils get filtering.", "S"),
    (4, "observation", "{0}: members' casework team gets same-day response, written into the ICT strategy.", "C"),
    (4, "key_point", "Different service is mostly deliberate and funded (traded), sometimes political.", ""),
    (4, "observation", "{0} - residents on library PCs get nothing beyond a reboot, and nobody complains.", "L"),
    (4, "quote", "The worst service goes to whoever's furthest from a building. Rural schools, mobile staff.", "S"),
    (None, "key_point", "Strain: pupils add devices and licences, staff add tickets. Different kinds of load.", ""),
    (None, "quote", "A Chromebook costs us a tenth of a laptop to support. Count them the same and we look daft.", "S"),
    (
        None,
        "observation",
        "{0} says cost per user is already used internally to compare with neighbours - misleading.",
        "A",
    ),
    (None, "quote", "Benchmarking should show what we do, not what the definition lets us report.", "A"),
    (None, "key_point", "Outcomes leaned towards collecting extra data by category, not changing the headline.", ""),
    (None, "quote", "Honestly I'd like an education module. Half my job is schools and Improve ignores it.", "S"),
    (3, "observation", "{0} reckons partners are 5% of accounts but 15% of access requests.", "A"),
    (None, "quote", "Whatever you decide, don't make us count library users by hand.", "L"),
    (None, "action", "Share the session summary with the group within two weeks.", ""),
    (None, "action", "{0} offered their schools SLA tiers as an example for the report.", "S"),
    (None, "observation", "room:Finished 15 mins early. Lunch. {0} stayed on to talk about the survey.", "A"),
]

SESSIONS: list[list[DemoNote]] = [SESSION_1, SESSION_2, SESSION_3]

DEBRIEFS = [
    "A lively group. Everyone agreed pupils are users in practice; nobody thought they strain the service as much "
    "as staff do. Follow up on how to count shared devices.\n"
    "Strongest theme: cost per user misleads while councils count pupils differently. Weak on data - nobody has "
    "a split by category they trust.",
    "Quieter start, good second half. This group had fewer schools and talked about partners, volunteers, on-call "
    "staff and residents online: the definition is seen as pre-cloud. Data collection burden came up again and "
    "again. One proposal for a weighted user worth testing.",
    "In person, so more discussion and less typing. Clear consensus that different service levels are deliberate "
    "(traded SLAs, members) rather than neglect. Several would welcome an education module; most would rather "
    "collect extra data by category than change the headline definition.",
]

# A participant's estimated shares of their users (%), by user category: with schools, then without.
SHARES_WITH_SCHOOLS = [
    {"office_staff": 18, "frontline_staff": 7, "councillors": 1, "school_staff": 12, "pupils": 58, "partners": 4},
    {"office_staff": 22, "frontline_staff": 10, "councillors": 1, "school_staff": 9, "pupils": 55, "residents": 3},
    {"office_staff": 15, "frontline_staff": 5, "school_staff": 10, "pupils": 70},
]
SHARES_WITHOUT_SCHOOLS = [
    {"office_staff": 60, "frontline_staff": 30, "councillors": 3, "partners": 5, "contractors": 2},
    {"office_staff": 80, "frontline_staff": 12, "councillors": 3, "volunteers": 5},
]
