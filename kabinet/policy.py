"""Every lifetime, window and limit in one place (STYLE.md 9), so a reviewer sees the whole policy at once
and a flow never hides a number of its own. DOMAIN.md documents the same figures for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

# --- codes and links ---------------------------------------------------------------------------------------
CODE_TTL = timedelta(minutes=5)  # an SMS or app code
CODE_ATTEMPTS = 3  # wrong tries before a code is dead
RESEND_AFTER = timedelta(seconds=60)  # between two sends of one code or letter
LINK_TTL = timedelta(hours=24)  # the link in a verification letter
PASSKEY_CHALLENGE_TTL = timedelta(minutes=5)  # a WebAuthn challenge (API.md: single use, 5 min)
NOT_ME_TTL = timedelta(days=7)  # the "this wasn't me" link in a notice

# --- sessions ----------------------------------------------------------------------------------------------
SESSION_IDLE = timedelta(minutes=30)
SESSION_ABSOLUTE = timedelta(hours=12)
STEP_UP_WINDOW = timedelta(minutes=10)  # a second factor this recent allows a sensitive change
SESSION_TOUCH_EVERY = timedelta(seconds=60)  # last-seen is written at most this often

# --- recovery ----------------------------------------------------------------------------------------------
RECOVERY_TTL = timedelta(minutes=15)
RECOVERY_PROOF_ATTEMPTS = 3
SILENT_AFTER = timedelta(days=180)  # a contact unconfirmed this long is not proof enough alone
IDENTITY_REQUEST_TTL = timedelta(days=30)  # a lost-everything request awaiting a visit

# --- a trusted person and cooling-off -------------------------------------------------------------
TRUSTED_INVITE_TTL = timedelta(hours=72)  # an invitation waits this long for the invitee's answer
TRUSTED_PER_TRUSTEE = 5  # citizens one person may be trusted by
APPROVAL_TTL = timedelta(hours=24)  # a trusted person's approval is awaited this long
RECOVERY_RETURN = timedelta(hours=72)  # after a wait ends, the recovering citizen has this long to come back
VOUCHED_FOR = timedelta(hours=72)  # a phone set at a service centre recovers alone, with no wait, this long


@dataclass(frozen=True)
class Cooling:
    """The three cooling-off periods, configurable (``KABINET_COOLING_*_HOURS``, API.md additions) because a
    portal tunes them against fraud it sees; the defaults are Login.gov's 24 hours.

    ``contact``: a contact added this recently cannot recover the account or confirm removing an older one.
    ``recovery``: a recovery proven by one channel only waits this long, with a cancel link to every channel.
    ``trusted``: removing or replacing the trusted person takes effect only after this long."""

    contact: timedelta = timedelta(hours=24)
    recovery: timedelta = timedelta(hours=24)
    trusted: timedelta = timedelta(hours=24)


# --- relying services (OpenID Connect) -------------------------------------------------------------
OIDC_CODE_TTL = timedelta(seconds=60)
OIDC_PAR_TTL = timedelta(seconds=60)  # a pushed request's request_uri: used at once by the browser it is given to
OIDC_PAR_CARRY = timedelta(minutes=30)  # its parameters, once taken, carried through the sign-in and consent pages
OIDC_ACCESS_TTL = timedelta(minutes=10)  # short: userinfo reads the current contacts anyway (S18)
OIDC_ID_TOKEN_TTL = timedelta(minutes=10)
OIDC_REFRESH_TTL = timedelta(days=30)
OIDC_LOGOUT_TOKEN_TTL = timedelta(minutes=10)  # a logout token's exp: long enough for the outbox's first retries
OIDC_KEY_KEEP = timedelta(days=31)  # a retired signing key stays in the JWKS longer than anything it signed

# --- the service centre ------------------------------------------------------------------------------------
OPERATOR_SESSION_IDLE = timedelta(minutes=15)
OPERATOR_SESSION_ABSOLUTE = timedelta(hours=10)  # one working day
VISIT_TTL = timedelta(minutes=30)  # a visit left open ends by itself (each action restarts the clock)

# --- rate limits (moving windows; ``security.ratelimit`` counts them) ---------------------------------------
RULES: dict[str, str] = {
    "sign_in.login": "5/15 minutes",  # wrong passwords per account (or per login, normalised, when none)
    "sign_in.ip": "50/15 minutes",  # wrong passwords per IP
    "register.ip": "20/hour",
    "code.send.destination": "5/hour",  # letters with a link or a test notice to one address
    "code.check.ip": "60/15 minutes",  # wrong codes per IP, on top of 3 per challenge
    "code.check.account": "10/15 minutes",  # wrong codes per account: TOTP challenges can be asked for anew
    # Codes sent, in buckets by who can make us send them: a stranger reaches registration and
    # recovery, so those spend their own budgets and can never empty the one an owner needs after a right
    # password or inside a session.
    "send.owner.destination": "10/hour",  # sign-in, step-up, removal and change codes
    "send.owner.account": "30/hour",
    "send.register.destination": "3/hour",
    "send.register.prefix": "30/hour",  # +7 916 123…: a thousand numbers (SMS pumping walks ranges)
    "send.recovery.destination": "5/hour",
    "send.recovery.account": "10/day",
    "send.anonymous.ip": "20/hour",  # registration and recovery codes from one address
    "send.new_contact.destination": "5/hour",  # a phone being added
    "send.new_contact.account": "10/day",  # numbers added by one account: no pumping from a signed-in account
    "notice.silent.destination": "1/day",
    "recovery.ip": "20/hour",  # recoveries started from one address
    "recovery.login": "5/hour",  # recoveries of one account (or one normalised login)
    "recovery.identity.snils": "3/day",  # lost-everything requests per SNILS (DOMAIN.md)
    "recovery.identity.ip": "10/day",  # "someone tried to register your number": one a day at most
    "mail.unverified.account": "10/day",  # letters to addresses not yet verified (DESIGN.md §4, 5b)
    "link.check.ip": "30/15 minutes",  # unknown link tokens per IP
    "operator.sign_in.login": "5/15 minutes",  # wrong operator passwords or app codes per login
    "operator.sign_in.ip": "60/15 minutes",  # a centre's staff share one address
    "visit.open.operator": "60/hour",  # documents entered by one operator
    "visit.open.centre": "600/hour",
    "visit.mismatch.operator": "10/hour",  # documents that matched no account: someone trying passports
    "trusted.invite.account": "5/day",  # invitations sent by one citizen (each is an SMS to a stranger's phone)
    "trusted.invite.destination": "3/day",  # invitations to one phone, from anyone
    "trusted.ask.account": "10/day",  # approvals asked of a trusted person for one citizen (each is an SMS)
}
