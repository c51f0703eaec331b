"""The default codebook: the eight themes of the study (../shared/DOMAIN.md), with exactly those slugs.

The indicator vocabulary is written for how people in UK local-government ICT actually write — committee
and audit reports, schools' service catalogues, licensing terms, service-desk reports and focus-group
talk: traded services and SLAs, academies and MATs, PSN and HSCN, Microsoft EES and A3/A5 licences,
FTE and headcount, cost per user, Improve, KPIs, tickets and incident volumes, M365 tenants,
self-service portals and shared services.

Weights: STRONG (1.0) indicators suggest a theme on their own; MEDIUM (0.6) and WEAK (0.3) ones need
company (the threshold is a score of 1.0; see app/analysis/tagging.py).

Formal public prose (committee and audit reports, licence terms) uses the themes' words in passing, so
a word that is only a topic is not strong evidence on its own: a technology's name needs who reaches the
service through it, "demand" or "pressure" needs an ICT object, an estimate needs something countable, and
boilerplate (audit priorities, contract service credits, meeting courtesies, other council services'
figures) is excluded.

Longer than 500 lines because it is data, not logic: eight themes' vocabularies, which an analyst reviews
best side by side in one file.

Negation (`NEGATED_WEIGHTS`): for most themes saying "no" is still an answer on the theme — "we support
no schools" is about schools (the survey wants that answer as context), "no difference in service" is
about service differences, "we don't hold that data" is about data, "pupils are not counted" is about the
definition — so a negated hit counts in full. Naming a group or a technology only to deny it ("we have no
volunteers", "we don't use the cloud") is weaker evidence, so for user-categories and
new-technology-and-external-users a negated hit counts 0.6.
"""

from __future__ import annotations

from app.analysis.codebook import Pattern, Theme

STRONG, MEDIUM, WEAK = 1.0, 0.6, 0.3

NEGATED_WEIGHTS = {
    "user-definitions": 1.0,
    "user-categories": 0.6,
    "pupils-and-schools": 1.0,
    "service-quality-differences": 1.0,
    "demand-and-strain": 1.0,
    "benchmarking-and-reporting": 1.0,
    "data-availability": 1.0,
    "new-technology-and-external-users": 0.6,
}


def _each(kind: str, weight: float, values: str) -> tuple[Pattern, ...]:
    """Patterns of one kind and weight: words or stems separated by spaces; phrases by semicolons."""
    parts = values.split(";") if kind in ("phrase", "exclude") else values.split()
    return tuple(Pattern(kind, part.strip(), 0, weight) for part in parts if part.strip())


def _chunks(alternatives: str, room: int) -> list[str]:
    """Alternatives ("a|b|c") cut into runs that fit in `room` characters."""
    runs: list[str] = []
    for word in alternatives.split("|"):
        if runs and len(runs[-1]) + 1 + len(word) <= room:
            runs[-1] += "|" + word
        else:
            runs.append(word)
    return runs


def _near(weight: float, window: int, *pairs: tuple[str, str]) -> tuple[Pattern, ...]:
    """Near patterns; long lists of alternatives are cut into several patterns (a value has at most 200
    characters), which is why a long rule can count more than once."""
    patterns = []
    for left, right in pairs:
        for right_run in _chunks(right, 90):
            for left_run in _chunks(left, 199 - len(right_run)):
                patterns.append(Pattern("near", f"{left_run} {right_run}", window, weight))
    return tuple(patterns)


USER = "user|users|service-user|service-users"
PEOPLE = "people|staff|pupils|pupil|students|student|employees|accounts|account|heads|licences|devices|councillors"

USER_DEFINITIONS = Theme(
    slug="user-definitions",
    name="User definitions",
    definition=(
        'Discusses what counts as a "user" of the council\'s ICT service: the definition, counting rules, '
        "who is in or out of scope, the current definition versus who is actually supported."
    ),
    include=(
        "What a user is; how users are counted (heads, FTE, accounts, licensed or named users, devices); "
        "whether pupils, councillors, partners or contractors should count; double counting; what is in or "
        "out of the scope of benchmarking; the gap between the definition and who is actually supported."
    ),
    exclude=(
        "Naming groups or their numbers without saying whether or how they count (user-categories); "
        "how many users there are as a fact (user-categories, data-availability)."
    ),
    examples=(
        "Should pupils count as users when the school pays for its own support?",
        "We count anyone with an Active Directory account as a user, which includes councillors.",
        "The Improve definition of a user no longer matches who we actually support.",
    ),
    patterns=(
        *_near(
            STRONG,
            5,
            (
                "define|defined|defining|redefine|redefined|redefinition|constitute|constitutes",
                USER,
            ),
            ("meaning|mean|meant", "user|users"),
        ),
        *_near(STRONG, 3, ("count|counts|counted|counting|recount|total|totals|tally|denominator", USER)),
        *_near(MEDIUM, 2, ("aren't|isn't|wasn't|weren't|not|never", "user|users")),
        *_near(
            STRONG,
            4,
            ("user|users", "person|someone|whoever|credential|credentials|identity|identities"),
        ),
        *_near(MEDIUM, 3, ("count|counts|counted|counting|recount", PEOPLE)),
        *_near(
            MEDIUM,
            4,
            ("include|included|including|inclusion|exclude|excluded|excluding|exclusion|remove|removed", USER),
            ("scope", "user|users|benchmarking|benchmark|pupils|schools|definition|improve"),
        ),
        *_each(
            "phrase",
            STRONG,
            "counting rule; counting method; count method; double count; double counted; counted twice; "
            "count user; counted user; classed user; class user; regarded user; deemed user; out scope; "
            "within scope; scope benchmarking; concurrent user; unique user; qualified user; "
            "knowledge worker; licensed user; qualified device; organisation wide count; per user basis; "
            "user definition; user count; user numbers definition; "
            "full time equivalent; full-time equivalent; current definition; user total; "
            "count everyone; count anyone; count everybody; headcount fte; fte headcount; person device account",
        ),
        *_each("word", STRONG, "definition definitions denominator"),
        *_near(
            STRONG,
            3,
            (
                "count|counts|counted|counting",
                "way|ways|only|whether|basis|rule|rules|method|everyone|anyone|consistently|differently",
            ),
        ),
        *_near(
            STRONG,
            4,
            (
                "charge|charged|charges|charging|calculated|priced|pricing|recharge|recharging|basis",
                "roll|fte|headcount|named|individuals|mailbox|mailboxes",
            ),
        ),
        *_near(
            MEDIUM,
            4,
            (
                "eligible|eligibility|ineligible|entitled|entitlement|licensed|licenses|require|requires|cal|cals|"
                "assigned|designate|designated",
                "users|user|employees|contractors|staff|students|pupils|faculty|guests|public|individuals|"
                "affiliate|affiliates|persons|person",
            ),
        ),
        *_each("stem", MEDIUM, "define redefine scope count headcount identity credential entitled"),
        *_each("word", MEDIUM, "FTE FTEs"),
        *_each("phrase", MEDIUM, "service user; active user; account holder; per head; per FTE; named user"),
        *_each("phrase", STRONG, "monthly active user; active mailbox; per seat; concurrent licence"),
        *_each("stem", WEAK, "criteria categorise eligible eligibility login logon mailbox person unit"),
        *_each("word", WEAK, "user"),
        *_each(
            "exclude",
            STRONG,
            "per user; user satisfaction; end user; user experience; user needs; user research; user name; "
            "user acceptance; rating definition; assurance definition; count tickets; count calls; count incidents; "
            "ticket count; incident count",
        ),
    ),
)

GROUPS = (
    "councillor|councillors|cllrs|staff|employees|workforce|pupils|pupil|students|"
    "teachers|contractors|contractor|volunteers|volunteer|residents|resident|citizens|"
    "nhs|police|agency|temps|casuals|apprentices|trainees|visitors|guests|governors|carers|"
    "colleagues|workers|partners|icb"
)
ICT_CONTEXT = (
    "users|user|accounts|account|logins|login|network|domain|tenancy|devices|device|laptop|laptops|kit|"
    "email|mailbox|mailboxes|licences|licence|systems|support|supported|supporting|supports|helpdesk|"
    "access|portal|app|wifi|pcs|computers|tablets|phones|credential|issued"
)

USER_CATEGORIES = Theme(
    slug="user-categories",
    name="User categories and proportions",
    definition=(
        "Names groups of people who receive ICT services (office staff, frontline staff, councillors, school "
        "staff, pupils, partners, contractors, volunteers, residents) or their numbers or proportions."
    ),
    include=(
        "Any group of people served by the ICT service, named or counted; the mix of users; the approximate "
        "proportion or share of users in each category; growth or decline of a group."
    ),
    exclude=(
        "People named only as the subject of something else, such as a supplier or a member of ICT staff "
        "doing the work; counting rules without any group (user-definitions)."
    ),
    examples=(
        "About 60% of our accounts are office-based staff, 25% frontline and the rest councillors and partners.",
        "We also support NHS colleagues in the integrated care teams and around forty volunteers at the libraries.",
        "Pupils now outnumber corporate staff three to one.",
    ),
    patterns=(
        *_each("stem", STRONG, "contractor volunteer apprentice trainee locum temps casuals"),
        *_each("word", STRONG, "NHS CCG ICB ICBs cllrs Cllrs pupils"),
        *_near(
            MEDIUM,
            3,
            (
                "staff|workers|team|teams|employees|colleagues",
                "care|depot|depots|libraries|library|homes|site|sites|satellite|headquarters|leisure|crematorium|"
                "control|duty|hubs|outlying|remote|field|frontline",
            ),
        ),
        *_each("phrase", MEDIUM, "third party"),
        *_near(STRONG, 8, (GROUPS, ICT_CONTEXT)),
        *_near(
            STRONG,
            2,
            (
                "<number>",
                "users|staff|pupils|students|councillors|members|residents|employees|people|"
                "volunteers|contractors|partners|teachers",
            ),
        ),
        *_each(
            "phrase",
            STRONG,
            "elected member; member public; office based; office staff; office worker; corporate staff; "
            "corporate user; frontline staff; frontline worker; front line staff; front-line staff; mobile worker; "
            "field worker; field staff; agile worker; school staff; teaching staff; support staff school; "
            "agency staff; "
            "agency worker; temporary staff; temporary worker; casual staff; seasonal staff; partner organisation; "
            "partner staff; partner agencies; partner agency; NHS staff; NHS colleagues; health colleagues; "
            "health partners; police colleagues; care worker; social worker; care staff; library user; "
            "library customer; library member; library visitor; "
            "user base; user population; mix user; user mix; range user; breadth user; proportion user; "
            "proportion staff; proportion pupils; share user; number staff; number pupils; "
            "number councillors; user numbers; staff numbers; pupil numbers; "
            "different categories; categories user; non-corporate; non corporate; non-staff",
        ),
        *_near(
            STRONG,
            4,
            (
                "proportion|proportions|percentage|percent|majority|minority|split|fraction|quarter|half|third|"
                "thirds|most|outnumber|outnumbers",
                "staff|users|pupils|students|councillors|members|partners|contractors|volunteers|residents|"
                "employees|accounts|workforce|teachers",
            ),
        ),
        *_each(
            "stem", MEDIUM, "partner visitor proportion outnumber carer councillor governor staff workforce resident"
        ),
        *_each("stem", MEDIUM, "citizen"),
        *_each("word", MEDIUM, "frontline students teachers Members police consultants consultant guests"),
        *_each("phrase", MEDIUM, "per cent; members staff; number user; group user; user group; fire service"),
        *_each("stem", WEAK, "employee pupil student teacher public guest supplier"),
        *_each("phrase", WEAK, "type user; kind user; category user; user type; user category"),
        *_each(
            "exclude",
            STRONG,
            "user satisfaction; ICT staff; staff time; member survey; Socitm member; per <number>; "
            "desk staff; service desk staff",
        ),
        *(Pattern("exclude", value, 6, STRONG) for value in ("thanked", "apologies", "attendance", "engagement")),
        *_each(
            "exclude",
            STRONG,
            "digital skills",
        ),
    ),
)

PUPILS_AND_SCHOOLS = Theme(
    slug="pupils-and-schools",
    name="Pupils and schools",
    definition=(
        "Concerns ICT services delivered to schools, academies or pupils: education networks, traded services "
        "or SLAs with schools, pupils' devices or accounts, curriculum or school admin systems."
    ),
    include=(
        "Maintained schools, academies and multi-academy trusts, special schools, PRUs, free schools, colleges "
        "and early-years settings; their connectivity, filtering, accounts, devices, MIS, licences and support; "
        "traded or buy-back agreements; also a council saying it supports no schools."
    ),
    exclude="Children's social care and other council services for children that are not about schools.",
    examples=(
        "Around 120 primary schools buy our traded ICT service, mostly the broadband and filtering package.",
        "Several academies left the SLA when they joined a multi-academy trust with its own IT team.",
        "We don't support any schools: they all went to a regional broadband consortium years ago.",
    ),
    patterns=(
        *_each("stem", STRONG, "pupil academisation curriculum headteacher classroom chromebook edtech"),
        *_each("word", STRONG, "MAT MATs SIMS SEND SEN DfE ESFA KCSIE LGfL lgfl SENCO primaries secondaries"),
        *_near(
            STRONG,
            8,
            (
                "school|schools|academy|academies|nursery|nurseries|college|colleges|prus|pru|education|trust|"
                "trusts|teachers|teacher|students",
                "ict|support|supports|supported|supporting|network|broadband|connectivity|filtering|devices|"
                "laptops|accounts|account|email|licences|licensing|licence|systems|mis|sla|slas|helpdesk|desk|"
                "technician|technicians|engineer|engineers|kit|servers|backup|cyber|wifi|software|users|traded|"
                "portal|google|microsoft|domain|tenancy|estate|cloud|tickets|incidents|calls|contract|buy|"
                "bought|provide|provision|techies|technical|digital|data|internet|online|monitoring|technology|"
                "purchase|purchasing|procure|procurement|commission|package|packages|subscription|subscribers|"
                "subscribing|subscribe",
            ),
        ),
        *_each(
            "phrase",
            STRONG,
            "multi academy trust; multi-academy trust; academy trust; head teacher; sixth form; further education; "
            "early years; key stage; special educational needs; pupil referral unit; learning platform; "
            "traded service; traded services; traded ict; buy back; buy-back; buyback; traded offer; "
            "department education; education network; education service; education ict; web filtering; "
            "content filtering; term start; start term; student use benefit; "
            "student use; education licensing; academic licensing; school business manager",
        ),
        *_each("stem", MEDIUM, "school academy nursery teacher student learner education educational bursar college"),
        *_each("word", MEDIUM, "MIS EES A3 A5 A1 FE PRU PRUs trust trusts safeguarding filtering governors Ofsted"),
        *_each("phrase", MEDIUM, "primary secondary; maintained; traded; school holidays; half term; term time"),
        *_each("stem", WEAK, "child parent kids diocese diocesan faculty institution"),
        *_each("word", WEAK, "primary"),
        *_each(
            "exclude",
            STRONG,
            "school thought; old school; children services; adult social; school transport; school meals; "
            "school admissions; admissions; crossing patrol; school crossing; school improvement; school places; "
            "place planning; school run; term dates; schools forum; education welfare; polling station; "
            "polling day; school reception",
        ),
        *(Pattern("exclude", value, 3, STRONG) for value in ("son", "daughter", "own kids", "grandchildren")),
    ),
)

SERVICE_WORDS = "service|support|level|levels|priority|response|attention|treatment|quality|standard|sla|slas"

SERVICE_QUALITY = Theme(
    slug="service-quality-differences",
    name="Service quality differences",
    definition=(
        "Says whether particular groups of users receive a markedly different form of service, in quality, "
        "priority, service levels or attention."
    ),
    include=(
        "Same or different service levels, priorities, response or fix times, attention, dedicated or on-site "
        "support, best-efforts-only support, VIP or premium treatment; also saying there is no difference."
    ),
    exclude="Service levels described with no comparison between groups and no statement of parity.",
    examples=(
        "Schools on the traded SLA get a four-hour response; everyone else is best efforts.",
        "Councillors are treated as VIPs and jump the queue on the service desk.",
        "There is no real difference: pupils get the same service level as corporate staff.",
    ),
    patterns=(
        *_near(
            STRONG,
            4,
            (
                "different|differently|difference|differences|differs|differ|differential|same|equal|equally|"
                "equivalent|parity|equitable|inconsistent|uniform|lesser|inferior|second-class|"
                "prioritised|prioritized|prioritise|preferential",
                SERVICE_WORDS,
            ),
            (
                "treated|treat|treating|treats",
                "differently|same|equally|better|worse|vip|vips|separately|priority|customers|favourites",
            ),
            ("less|more|extra|little|least|same|equal|special|priority", "attention"),
            (
                "longer|shorter|faster|slower|quicker|sooner|later|same-day|today",
                "response|fix|fixed|resolution|visit|visits|wait|waits|waiting|turnaround",
            ),
            ("named|dedicated|own", "engineer|technician|contact|officer|line|team|analyst|catalogue"),
            ("hour|hours|hr|hrs|day|days|minute|minutes", "response|fix|resolution|visit|turnaround"),
        ),
        *_near(
            MEDIUM,
            3,
            ("higher|better|enhanced|premium|superior|faster|quicker", SERVICE_WORDS),
        ),
        *_near(
            STRONG,
            3,
            ("lower|worse|poorer|lesser|slower|inferior", SERVICE_WORDS),
        ),
        *_each(
            "phrase",
            STRONG,
            "best efforts; best effort; best endeavours; reasonable endeavours; response time; resolution time; "
            "fix time; time fix; two tier; two-tier; second class; second-class; "
            "jump queue; "
            "fast track; fast-track; queue jumping; markedly different; same service; same level; same support; "
            "different service; different level; VIP service; VIP treatment; white glove; out hours support; "
            "dedicated support; dedicated engineer; dedicated technician; gold service; concierge; "
            "bare minimum; gets same; get same; everybody same; everyone same; wait longer; "
            "account manager; gold plated; gold-plated; nobody else; no one else; everyone else; everybody else; "
            "get nothing; gets nothing; silver service; bronze service; premium service; enhanced service; "
            "basic service; lower priority; higher priority; top priority; priority support; priority list",
        ),
        *_each("word", STRONG, "VIP VIPs vip vips disparity disparities preferential parity"),
        *_near(MEDIUM, 3, ("eligible|ineligible|entitled|entitlement", "sla|support|service|services|package")),
        *_near(MEDIUM, 3, ("only", "support|supported|visited|visit|visits|remote|remotely|best")),
        *_near(
            MEDIUM,
            3,
            (
                "receive|receives|received|receiving|get|gets|given",
                "service|support|response|visits|visit|priority|level|levels|attention",
            ),
        ),
        *_each("phrase", MEDIUM, "service level; level service; service levels; levels service"),
        *_each("word", STRONG, "priority"),  # a ticket's or a group's priority; the plural is mostly strategy talk
        *_each("stem", MEDIUM, "prioritise prioritisation attention turnaround unequal inequality expectation"),
        *_each("phrase", MEDIUM, "quality service; service quality"),
        *_each("word", MEDIUM, "SLA differently equally tier tiers gold silver bronze platinum queue"),
        *_each("phrase", MEDIUM, "first time fix; on site technician; on-site technician; out hours; same day"),
        *_each(
            "exclude",
            STRONG,
            "attention drawn; draw attention; brought attention; bring attention; corporate priority; "
            "council priority; strategic priority; key priority; priority area; priority outcome; "
            "political priority; spending priority; budget priority; priority project; "
            "priority <number> recommendation; priority recommendation; high priority recommendation; "
            "response rate; service level service credit",
        ),
        *_each("stem", WEAK, "satisfaction dedicated bespoke"),
    ),
)

DEMAND_AND_STRAIN = Theme(
    slug="demand-and-strain",
    name="Demand and strain",
    definition=(
        "Is about whether (additional) users place an equivalent load on the ICT service: workload, incidents, "
        "devices, licences, support effort, cost per user."
    ),
    include=(
        "Incident, ticket and call volumes and who raises them; devices and licences per user; support staff "
        "time; the cost of supporting a group; peaks such as the start of term; whether a group is light or "
        "heavy to support."
    ),
    exclude="Costs or volumes quoted only as benchmark results with no question of load (benchmarking-and-reporting).",
    examples=(
        "Schools raised 38% of all service desk tickets last year but account for only 12% of the budget.",
        "Pupils are light users: a Chromebook and a Google account, very few incidents.",
        "The start of term brings hundreds of password resets in a fortnight.",
    ),
    patterns=(
        *_each("stem", STRONG, "strain workload overstretch disproportionate backlog swamp busiest"),
        *_each("word", STRONG, "heaviest heavier firefighting overloaded overwhelmed"),
        *_near(
            STRONG,
            4,
            (
                "incident|incidents|ticket|tickets|call|calls|request|requests|fault|faults|resets|reset|"
                "volume|volumes|workload|ratio|ratios",
                "volume|volumes|number|numbers|proportion|percent|increase|increased|increasing|rise|rising|risen|"
                "spike|peak|generate|generates|generated|logged|account|accounted|<number>|grown|grew|"
                "doubled|tripled|added|more|fewer|majority|half|third|quarter|driver|drive|driving|class|per",
            ),
            (
                "cost|costs|costing|spend|spending|money|budget|expenditure|expense",
                "support|supporting|supported|serve|serving|user|users|device|devices|licensing|licences",
            ),
            (
                "device|devices|licence|licences|license|licenses|laptops|chromebooks|ipads|kit",
                "number|numbers|per|growth|increase|increased|thousands|hundreds|estate|fleet|grown|doubled|"
                "cost|costs|expenditure|spend|driver",
            ),
            ("engineer|engineers|technician|technicians|analyst|analysts", "per|ratio|eats|takes|absorbs"),
            (
                "demand|demands",
                "ict|desk|helpdesk|support|engineers|technicians|team|network|bandwidth|access|licences|devices|"
                "laptops|accounts|storage|capacity|user|users|pupil|pupils|head",
            ),
            (
                "desk|helpdesk|technicians|engineers",
                "calls|tickets|busy|busier|busiest|swamped|inundated|flooded|pressure|stretched|queue|queues",
            ),
            (
                "represents|represent|generate|generates",
                "<number>|share|proportion|percent|largest|majority|half|third|quarter",
            ),
        ),
        *_near(MEDIUM, 3, ("account|accounts", "<number>|proportion|percent|largest|majority|half|third|quarter")),
        *_each(
            "phrase",
            STRONG,
            "cost serve; cost-to-serve; support effort; more work; break fix; break-fix;  staff time; engineer time; "
            "technician time; time spent; man hours; person hours; engineer hours; staff hours; officer time; "
            "heavy user; light user; high maintenance; "
            "labour intensive; additional users; extra users; additional load; extra load; equivalent strain; "
            "equivalent load; password reset; password resets; call volume; incident volume; ticket volume; "
            "demand ict; pressure ict; pressure service; support burden; service desk demand; users per engineer; "
            "users per technician; per device; start term; licence cost; licensing cost; device refresh",
        ),
        *_each("stem", MEDIUM, "load incident ticket volume overhead headroom"),
        *_each("stem", WEAK, "demand pressure capacity"),
        *_each("word", MEDIUM, "resourcing"),
        *_each("stem", MEDIUM, "stretch bandwidth peak spike slack busy"),
        *_each("stem", WEAK, "expensive"),
        *_each("phrase", MEDIUM, "cost per user; cost user; ict spend"),
        *_near(STRONG, 2, ("fee|fees|subscription|subscriptions|price|priced|charged|charge|charges", "per")),
        *_each("phrase", WEAK, "service desk; help desk; helpdesk; support team"),
        *_each(
            "stem",
            WEAK,
            "device licence license call storage effort",
        ),
    ),
)

BENCHMARKING = Theme(
    slug="benchmarking-and-reporting",
    name="Benchmarking and reporting",
    definition=(
        "Concerns benchmarking (e.g. Improve), metrics standardised per user, comparability between "
        "organisations, dashboards, KPIs, how reports express results."
    ),
    include=(
        "Socitm Improve and other benchmarks; cost per user and users per ICT staff as metrics; comparing "
        "with peers or a typical organisation; KPIs, dashboards, scorecards, performance reports; whether "
        "results are distorted or comparable; new modules or changes to reporting."
    ),
    exclude="Operational reports of a single incident; 'report' in the sense of reporting a fault.",
    examples=(
        "Our cost per user looks low in Improve only because pupils inflate the user count.",
        "The dashboard compares us with a typical organisation of our size.",
        "KPIs for the service desk are reported quarterly to the ICT board.",
    ),
    patterns=(
        *_each("stem", STRONG, "benchmark metric dashboard scorecard quartile outlier comparability"),
        *_each("word", STRONG, "KPI KPIs kpi kpis CIPFA Improve"),
        *_each(
            "phrase",
            STRONG,
            "key performance indicator; performance indicator; league table; like like; apples apples; "
            "typical organisation; peer group; cost per transaction; user satisfaction; completion rate; "
            "customer satisfaction; satisfaction survey; "
            "digital take-up; take-up level; performance report; performance framework; performance data; "
            "management report; reporting framework; annual report; improve report; socitm improve; "
            "benchmarking service; ratio ict staff; trend data; time series; year year; "
            "amend reporting; reporting figures; red amber green; standardise metrics; standardised per; "
            "new module; education module; benchmarking club; comparison group; comparator group; "
            "statistical neighbour; nearest neighbour; national average; best class; family group; upper quartile; "
            "lower quartile",
        ),
        *_near(
            STRONG,
            4,
            (
                "compare|compared|comparing|comparison|comparisons|comparable|comparator|comparators",
                "organisations|councils|authorities|peers|peer|others|typical|benchmark|benchmarking|average|"
                "median|year|years|nationally|national|similar",
            ),
            (
                "results|figures|metrics|data|comparisons",
                "presented|present|shown|published|expressed|separately|reported|interpreted|caveated",
            ),
            (
                "skew|skews|skewed|distort|distorts|distorted|inflate|inflates|inflated|deflate|flatter|"
                "misleading|misrepresent|understate|overstate|understates|overstates",
                "figures|cost|costs|results|metrics|numbers|ratio|ratios|comparison|picture|per|data|position",
            ),
        ),
        *_each("word", MEDIUM, "reporting RAG Gartner indicators indicator normalise normalised denominator"),
        *_each("phrase", WEAK, "per user; users per; per head; per capita; per FTE"),
        *_each("phrase", MEDIUM, "target time; within target; against target; met target; performance target"),
        *_near(
            MEDIUM,
            3,
            (
                "report|reports|reported|return|returns|submit|submitted|submitting",
                "users|headcount|fte|figures|numbers|results|metrics|costs|improve",
            ),
        ),
        *_each("word", WEAK, "socitm"),
        *_each("word", MEDIUM, "normalize normalized standardise standardised standardize standardized"),
        *_each(
            "stem",
            MEDIUM,
            "compare comparison peer median ratio baseline trend measurement guidance percentile ranking",
        ),
        *_each("stem", WEAK, "report performance measure average target index statistic participate figures"),
        *_each("word", WEAK, "table tables chart charts asterisk club range"),
        *_each("stem", MEDIUM, "methodology"),
        *_each(
            "exclude",
            STRONG,
            "report fault; report problem; report issue; reporting fault; reporting issue; benchmark rate; "
            "benchmark interest; compared notes",
        ),
        # Other council services' figures compared year on year are not ICT benchmarking.
        *(
            Pattern("exclude", value, 8, STRONG)
            for value in (
                "council tax",
                "business rates",
                "parking",
                "collection rate",
                "housing benefit",
                "planning applications",
            )
        ),
    ),
)

DATA_WORDS = "data|figures|numbers|statistics|records|breakdown|breakdowns"
DATA_VERBS = (
    "collect|collecting|collected|collection|hold|held|holds|holding|capture|captured|capturing|record|recorded|"
    "recording|track|tracked|tracking|gather|gathered|extract|extracted|obtain|obtained|available|availability|"
    "accurate|accuracy|reliable|robust|quality|missing|incomplete|gaps|estimate|separate|split|identify|know|"
    "pull|produce|provide|supply|source|sources|request|return|submit|exist|exists|give|tell|compile|"
    "don't|doesn't|didn't|can't|couldn't|cannot|unable|poor|patchy|date|guess|guessing|apportion|apportioned"
)
INFORMATION_VERBS = (
    "collect|collecting|collected|collection|hold|held|holds|capture|captured|track|tracked|"
    "accurate|reliable|missing|incomplete|gap|gaps|paucity|lack|don't|doesn't|"
    "can't|cannot|unable|routinely|systematically"
)

DATA_AVAILABILITY = Theme(
    slug="data-availability",
    name="Data availability",
    definition=(
        "Concerns what data organisations hold or could collect (counts, categories, volumes, costs), its "
        "quality, and the burden of collecting it."
    ),
    include=(
        "Whether counts, ticket categories, device or licence numbers, costs by user group can be produced; "
        "from which system (service desk tool, Active Directory, asset register, HR); estimates and guesses; "
        "data quality; the effort of collecting or returning data."
    ),
    exclude="Data protection, data centres and mobile data, which are not about holding figures.",
    examples=(
        "Our service desk tool doesn't record whether a caller is from a school, so we'd be guessing.",
        "We could pull device numbers from the asset register but licence counts would be an estimate.",
        "Collecting this for every return would be a real burden for a small team.",
    ),
    patterns=(
        *_near(STRONG, 4, (DATA_WORDS, DATA_VERBS)),
        *_near(STRONG, 6, ("information", INFORMATION_VERBS)),
        *_near(
            STRONG,
            3,
            ("idea|know|say|tell|sure|unsure|clue|certain|confirm", "many|much"),
            ("record|recording|recorded|log|logs|logged|track|tracked|capture|measure|count|counting", "time|effort"),
            ("count|counting|counted", "tickets|calls|incidents"),
            (
                "headcount|headcounts|numbers|figures",
                "hr|payroll|ad|directory|register|system|systems|ledger|finance|spreadsheet",
            ),
        ),
        *_near(
            STRONG,
            3,
            (
                "record|records|recorded|recording|track|tracked|tracking|capture|captured|categorise|categorised|"
                "categorize|flag|flagged|identify|identified|split",
                "school|schools|pupils|caller|callers|category|categories|type|types|user|users|"
                "tickets|calls|incidents|devices|licences|costs|spend|organisation|customer",
            ),
        ),
        *_each(
            "phrase",
            STRONG,
            "data quality; quality data; asset register; asset management system; asset database; inventory system; "
            "configuration management database; service desk tool; service desk system; itsm tool; "
            "information gap; pull together; out date; time recording; "
            "management information; best guess; educated guess; "
            "rough estimate; way know; not recorded; not captured; no data; "
            "no figures; no breakdown; split out; separate out; broken down; data return; data collection; "
            "collect data; data request; manual count; count manually; time consuming; burden collecting",
        ),
        *_near(
            STRONG,
            3,
            (
                "count|counts|headcount|headcounts|register|registers",
                "accurate|accuracy|inaccurate|reliable|unreliable|reconcile|reconciled|reconciling|inflating|"
                "overstated|understated|incomplete|duplicate|duplicates",
            ),
        ),
        *_near(
            STRONG,
            3,
            (
                "distinguish|distinguished|distinguishes|differentiate|differentiated",
                "figures|data|tickets|calls|counts|users|accounts|employees|costs|records|telemetry",
            ),
        ),
        *_each("word", STRONG, "CMDB CMDBs paucity disaggregate disaggregated disaggregation"),
        *_each("stem", STRONG, "guess breakdown"),
        *_each("stem", MEDIUM, "estimate"),
        *_near(
            STRONG,
            4,
            (
                "estimate|estimated|estimates|estimating|estimation",
                "users|numbers|number|figures|count|counts|accounts|devices|licences|tickets|calls|time|effort|split|proportion|headcount|staff|pupils",
            ),
        ),
        *_each("stem", MEDIUM, "approximate accuracy accurate inventory spreadsheet categorise caution reconcile"),
        *_each("stem", MEDIUM, "reconciliation discrepancy"),
        *_each("phrase", STRONG, "audit trail; source data; not retained; record keeping; data cleanse; asset records"),
        *_each("phrase", MEDIUM, "active directory; improve return; template"),
        *_each("phrase", WEAK, "HR system; payroll system"),
        *_each("word", MEDIUM, "return returns"),
        *_each("word", WEAK, "HR"),
        *_each("phrase", MEDIUM, "don't know; do not know; not known; break down"),
        *_each("word", MEDIUM, "approx unknown ITSM ServiceNow TopDesk Ivanti burden attributable attribute"),
        *_each("stem", WEAK, "data record track capture figures available manual count report numbers"),
        *_each(
            "exclude",
            STRONG,
            "data protection; data centre; data center; mobile data; data breach; data breaches; data sharing "
            "agreement; track record; off track; personal data; data controller; data processor; "
            "data led; data driven; customer record; health record; information governance",
        ),
    ),
)

NEW_TECHNOLOGY = Theme(
    slug="new-technology-and-external-users",
    name="New technology and external users",
    definition=(
        "Concerns new technologies or channels (cloud, mobile, online accounts, shared services, self-service) "
        "that bring users from inside and outside the organisation."
    ),
    include=(
        "Cloud and software as a service, Microsoft 365 tenants and guest access, mobile and flexible working, "
        "apps, online customer accounts and self-service portals, public Wi-Fi, shared services and partner "
        "access, users from outside the organisation."
    ),
    exclude="Routine mentions of existing desktop systems with no new channel or outside users.",
    examples=(
        "Since the move to Microsoft 365 we have hundreds of guest accounts for partners and contractors.",
        "Residents now log in to the council's online account to report potholes and pay for bins.",
        "The shared service means our network carries users from three other councils.",
    ),
    patterns=(
        *_each("stem", STRONG, "chatbot federation federated byod"),
        *_each("word", STRONG, "B2B"),
        # A technology's name alone is not the theme: who reaches the service through it is (near TECH, WHO).
        *_each("stem", MEDIUM, "cloud smartphone saas iot automation"),
        *_each("word", MEDIUM, "M365 O365 SSO RPA AI 5G Azure Entra SharePoint Intune Teams Zoom"),
        *_each(
            "phrase",
            MEDIUM,
            "microsoft 365; office 365; google workspace; gsuite; digital transformation; digital strategy; "
            "exchange online; sharepoint online; microsoft teams; onedrive; new technology; new technologies; "
            "emerging technology; artificial intelligence; internet things; software service; M365 tenant; "
            "365 tenant; microsoft tenant; cloud tenant",
        ),
        *_each(
            "phrase",
            STRONG,
            "online account; customer account; "
            "citizen account; resident account; self service; self-service; channel shift; "
            "digital default; digital channel; "
            "public wifi; public wi fi; guest wifi; "
            "guest wi fi; guest access; guest account; bring own device; remote access; remote working; "
            "home working; hybrid working; agile working; flexible working; work flexibly; shared service; "
            "shared services; shared arrangement; shared platform; shared ict; external user; external users; "
            "outside organisation; external partner; "
            "external access; single sign on; single sign-on; "
            "social media; mobile device; mobile app; mobile working; "
            "public access; library pcs; library computers; online service; online services; go online; web chat; "
            "self serve; work anywhere; customer portal; citizen portal; digital first; smart working; "
            "working home; work home; work remotely; working remotely; public pc; public pcs; public computers",
        ),
        *_each("stem", MEDIUM, "app"),
        *_each("stem", MEDIUM, "mobile online digital website tablet wifi remote hybrid partnership channel portal"),
        *_each("word", MEDIUM, "web external sensors sensor platform platforms guests tenancy"),
        *_near(
            STRONG,
            6,
            (
                "police|nhs|partner|partners|health|trust|ccg|fire|association|external|guests|guest|residents|public",
                "network|domain|tenancy|tenant|platform|logins|login|federation|federated|m365|365|directory|"
                "portal|app|online|wifi",
            ),
            ("online", "accounts|account|forms|form|booking|book|payments|pay|services|transactions|channel"),
        ),
        *_each("phrase", MEDIUM, "wi fi; wi-fi; digital service; digital services"),
        *_each("stem", WEAK, "resident citizen customer public partner technology internet broadband"),
        *_each(
            "exclude",
            STRONG,
            "council tenant; housing tenant; web filtering; web filter; tenancy agreement; secure tenancy; "
            "tenancy sustainment; cloud over; digital skills; public services network; PSN; health record; "
            "cloud framework; cloud <number> framework; "
            "significant|large|larger|largest|small|smaller|greater|fair|disproportionate|high|higher share",
        ),
    ),
)

DEFAULT_THEMES: tuple[Theme, ...] = (
    USER_DEFINITIONS,
    USER_CATEGORIES,
    PUPILS_AND_SCHOOLS,
    SERVICE_QUALITY,
    DEMAND_AND_STRAIN,
    BENCHMARKING,
    DATA_AVAILABILITY,
    NEW_TECHNOLOGY,
)
