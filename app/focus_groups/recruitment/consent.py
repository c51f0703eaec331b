"""The consent text volunteers agree to, by version. A new wording gets a new version; old ones stay,
so every volunteer's recorded consent can be read back exactly as it was shown."""

CURRENT_CONSENT_VERSION = "2026-11"

CONSENT_TEXTS: dict[str, list[str]] = {
    "2026-11": [
        "We keep your name, email address, organisation, job role, region, council type, whether you "
        "support education services, your availability and any access needs you tell us about.",
        "We use them only to arrange the focus groups for this study, and delete them 12 months after "
        "the study's last session.",
        "A note-taker records what is said in the session. Notes name you only by a pseudonym "
        "(such as P3) with your region and council type; quotes are never attributed to you by name.",
        "The session is audio-recorded only if everyone present agrees; you can say no and still take part.",
        "You can withdraw at any time, before or after the session, using the link in any email we send "
        "you. We then delete your personal details; notes already taken stay, attributed to your "
        "pseudonym only.",
    ],
}
