"""Every error a citizen can meet, with a stable code and an English title (the message id).

Why one module: the web layer maps these to RFC 9457 problems through one table, tests match on
``code`` (never on prose), and the Russian catalogue translates every title.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar


class KabinetError(Exception):
    """Base of all domain errors. ``title`` is an English message id: the web edge shows it in the caller's
    language from the catalogue (``kabinet/locale``) and answers with the HTTP status its table gives the
    ``code`` (``kabinet.web.problems.STATUS``); the domain knows neither languages nor HTTP."""

    code: ClassVar[str] = "error"
    title: ClassVar[str] = "Something went wrong"

    def __init__(self, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(self.code)
        self.field = field
        self.extra = extra


# --- input -------------------------------------------------------------------------------------------


class InvalidInput(KabinetError):
    code = "input.invalid"
    title = "Please check what you entered"


class PhoneInvalid(InvalidInput):
    code = "phone.invalid"
    title = "The phone number is not valid"


class PhoneNotMobile(InvalidInput):
    code = "phone.not_mobile"
    title = "A mobile number is needed: a text message will be sent to it"


class PhoneForeign(InvalidInput):
    code = "phone.foreign"
    title = "Codes are sent only to mobile numbers of Russia (+7)"


class EmailInvalid(InvalidInput):
    code = "email.invalid"
    title = "The email address is not valid"


class EmailLocalNotAscii(EmailInvalid):
    """Internationalised local parts need SMTPUTF8 at every relay on the way; many mail servers still refuse it, so a
    letter there would often never arrive — said plainly instead of "not valid"."""

    code = "email.local_not_ascii"
    title = ("Letters cannot yet be sent to addresses with non-Latin letters before the @. Use an address whose "
             "name is in Latin letters (the domain may be in Cyrillic, like почта.рф)")


class SnilsInvalid(InvalidInput):
    code = "snils.invalid"
    title = "The SNILS is not valid: 11 digits written as 123-456-789 01"


class SnilsChecksum(InvalidInput):
    code = "snils.checksum"
    title = "The SNILS has a typo: its check number does not match"


class PassportInvalid(InvalidInput):
    code = "passport.invalid"
    title = "The passport series and number are not valid: 4 digits and 6 digits, as in 45 08 123456"


class BirthDateInvalid(InvalidInput):
    code = "birth_date.invalid"
    title = "The date of birth is not valid"


class InvalidInputs(InvalidInput):
    """Several fields are wrong at once; ``problems`` holds one error per field."""

    def __init__(self, problems: list[InvalidInput]) -> None:
        super().__init__(field=problems[0].field if problems else None)
        self.problems = problems


def parse_all(**parsers: Callable[[], Any]) -> dict[str, Any]:
    """Run every parser; return their results by name, or raise ``InvalidInputs`` naming every wrong field at once
    (a parser may itself raise ``InvalidInputs``: its fields are kept)."""
    parsed: dict[str, Any] = {}
    problems: list[InvalidInput] = []
    for name, parse in parsers.items():
        try:
            parsed[name] = parse()
        except InvalidInputs as exc:
            problems += exc.problems
        except InvalidInput as exc:
            problems.append(exc)
    if problems:
        raise InvalidInputs(problems)
    return parsed


class PasswordWeak(InvalidInput):
    code = "password.weak"
    title = "The password is too weak: at least 8 characters, not a common one, without your phone or email"


class NameInvalid(InvalidInput):
    code = "name.invalid"
    title = "Enter your full name (up to 200 characters)"


class NameCharacters(NameInvalid):
    """Said apart from the length: "<script>" is short enough and still no name."""

    title = ("A name may hold only letters, spaces, hyphens, apostrophes and full stops, each word in one alphabet")


class EmailTooLong(EmailInvalid):
    code = "email.too_long"
    title = "The address is too long: an email address has at most 254 characters, 64 of them before the @"


# --- signing in, sessions, step-up ---------------------------------------------------------------------


class AuthFailed(KabinetError):
    """One answer for an unknown login and a wrong password, so nobody learns which accounts exist."""

    code = "auth.failed"
    title = "Wrong login or password"


class NotSignedIn(KabinetError):
    code = "auth.required"
    title = "Please sign in"


class StepUpRequired(KabinetError):
    code = "auth.step_up_required"
    title = "Confirm it is you: enter the code from the text message"


class AccountLocked(KabinetError):
    code = "auth.account_locked"
    title = "Signing in is suspended: recover access and change the password"


class RecoveryNotFound(KabinetError):
    """One answer for an unknown, expired, finished or out-of-order recovery: nothing to learn from it."""

    code = "recovery.not_found"
    title = "This recovery was not found or has expired. Please start again"


class RecoveryNeedsVisit(KabinetError):
    code = "recovery.visit_required"
    title = ("Access cannot be recovered this way: the contact has not been confirmed for a long time. "
             "Visit a service centre with your passport and SNILS")


class IdentityNotConfirmed(KabinetError):
    code = "identity.not_confirmed"
    title = "The state registers did not confirm these data. Check the SNILS, passport and date of birth"


class IdentityLocked(KabinetError):
    code = "identity.locked"
    title = "Confirmed identity data can only be changed at a service centre"


class ProofWrong(KabinetError):
    code = "recovery.proof_wrong"
    title = "The code did not match. Attempts left: {attempts_left}"


class RateLimited(KabinetError):
    """``retry_after`` in seconds (also the ``Retry-After`` header); ``limit``: which rule, so the citizen is told
    what the limit is about; the web edge words the wait in the reader's language."""

    code = "rate_limited"
    title = "Too many {about}. Try again in {wait}."


class SessionNotFound(KabinetError):
    code = "session.not_found"
    title = "Session not found"


# --- codes and links --------------------------------------------------------------------------------


class ChallengeNotFound(KabinetError):
    code = "challenge.not_found"
    title = "Confirmation request not found"


class ChallengeExpired(KabinetError):
    code = "challenge.expired"
    title = "The code has expired. Request a new one"


class ChallengeUsed(KabinetError):
    code = "challenge.used"
    title = "This code has already been used"


class ChallengeDead(KabinetError):
    code = "challenge.too_many_attempts"
    title = "Too many wrong attempts. Please start again"


class CodeWrong(KabinetError):
    code = "challenge.code_wrong"
    title = "Wrong code. Attempts left: {attempts_left}"


class ResendTooSoon(KabinetError):
    code = "challenge.resend_too_soon"
    title = "You can send it again in {wait}."


class LinkInvalid(KabinetError):
    """One answer for an unknown, used or expired link: a guessed token learns nothing."""

    code = "link.invalid"
    title = "The link is invalid or has expired. Request the letter again"


class LinkUsed(KabinetError):
    """The link of a confirmation letter opened again after it did its work: only its holder has it, and telling
    them the address is confirmed says nothing they did not do themselves."""

    code = "link.used"
    title = "This address is already confirmed: the link has done its work, nothing more is needed"


class CancelLinkInvalid(LinkInvalid):
    """A cancel link (a held recovery's) that matches nothing: no new letter would help."""

    title = ("This link does not cancel anything: it was used already, the recovery has ended, or it was copied "
             "with a mistake. If you did not start a recovery, sign in and look at Security, or ask support")


class NotMeLinkInvalid(LinkInvalid):
    """A "this wasn't me" link that matches nothing."""

    title = ("This link does not work: it was used already, has expired, or was copied with a mistake. If someone "
             "else changed your account, sign in and change the password, or ask support")


# --- contacts and their guards ------------------------------------------------------------------------


class ContactNotFound(KabinetError):
    code = "contact.not_found"
    title = "Contact not found"


class ContactNotVerified(KabinetError):
    code = "contact.not_verified"
    title = "Confirm this contact first"


class ContactAlreadyYours(KabinetError):
    code = "contact.already_added"
    title = "This contact is already in your account"


class GuardRefused(KabinetError):
    """A change that would lock the citizen out; ``checks`` says what to do first."""

    code = "contact.guard"
    title = "This contact cannot be removed now"


class SettingRefused(GuardRefused):
    """A sign-in/recovery setting that would leave the account without a way in (its own words, not a
    removal's). ``violations`` names the rule; the title says which."""

    code = "contact.setting_refused"
    title = ("Not saved: the account would be left without a contact to sign in with. Turn sign-in on for another "
             "confirmed contact first")


class RecoverySettingRefused(SettingRefused):
    code = "contact.recovery_setting_refused"
    title = ("Not saved: the account would be left without a way to recover access. Turn recovery on for another "
             "confirmed contact first")


class NoSecondChannel(KabinetError):
    code = "contact.no_confirmation_channel"
    title = "There is no other phone or app to send a confirmation code to"


class ContactBounced(KabinetError):
    code = "contact.bounced"
    title = "Letters to this address come back: check it for a typo, or add another address"


class ContactTaken(KabinetError):
    """Told only to whoever just proved control of the contact (the right code), so nothing leaks."""

    code = "contact.taken"
    title = "This contact has just been confirmed on another account"


class ConcurrentChange(KabinetError):
    code = "conflict"
    title = "This has just changed. Reload the page and try again"


class Unavailable(KabinetError):
    """The database (or another part every step needs) cannot be reached right now: a restart, a failover, an
    exhausted pool. Nothing was changed (the step's transaction never committed), and the same request will work
    once it is back, so the caller is told to retry (``retry_after`` seconds), not that something broke."""

    code = "unavailable"
    title = "The service is briefly unavailable. Nothing was changed: try again in a minute"


# --- requests ---------------------------------------------------------------------------------------


class RequestTooLarge(KabinetError):
    code = "request.too_large"
    title = "The request is too large"


class CrossSiteRefused(KabinetError):
    code = "request.cross_site"
    title = "The request came from another site and was refused"


class NotFound(KabinetError):
    code = "not_found"
    title = "Not found"


class ContactAlreadyVerified(KabinetError):
    code = "contact.already_verified"
    title = "This contact is already confirmed"


# --- the service centre ------------------------------------------------------------------------------------


class OperatorAuthRequired(KabinetError):
    """An operator endpoint without a live operator session (a citizen's token included)."""

    code = "operator.auth_required"
    title = "Sign in to the operator console"


class VisitNotFound(KabinetError):
    """One answer for an unknown, closed, expired or another operator's visit."""

    code = "visit.not_found"
    title = "This visit is not open. Open a visit with the citizen's document"


class DocumentMismatch(KabinetError):
    """The document shown matches no account; which part did not match is not said."""

    code = "visit.no_match"
    title = "These document data match no account. Check the passport and SNILS"


class ReasonRequired(InvalidInput):
    code = "reason.required"
    title = "Write down the reason for this change (up to 500 characters)"


class RequestNotFound(KabinetError):
    code = "request.not_found"
    title = "Request not found"


class SupervisorsOnly(KabinetError):
    code = "operator.supervisor_only"
    title = "Only a supervisor of this centre may see this"


# --- the trusted person and cooling-off -----------------------------------------------------


class RecoveryWaiting(KabinetError):
    """A held recovery: ``ready_at`` (when the cooling-off ends, or ``None``) and ``approval`` (the trusted
    person's answer so far, or ``None``) say what it waits for."""

    code = "recovery.waiting"
    title = "For your safety this recovery is on hold: every contact of the account has been told, and it can be finished only when the wait is over and nothing stopped it"  # noqa: E501


class ContactTooNew(KabinetError):
    code = "contact.too_new"
    title = ("A contact added in the last {hours} hours cannot confirm removing an older one. Use an older contact "
             "or the authenticator app, or try again later")


class TrustedSelf(InvalidInput):
    code = "trusted.self"
    title = "This is your own number: a trusted person is someone else"


class TrustedPending(KabinetError):
    code = "trusted.pending"
    title = "An invitation or a change of the trusted person is already under way: cancel it first"


class TrustedNotFound(KabinetError):
    """One answer for an unknown, expired, answered or someone else's invitation or link."""

    code = "trusted.not_found"
    title = "This invitation or trusted person was not found"


class TrustedNotConfirmed(KabinetError):
    code = "trusted.not_confirmed"
    title = ("Only a person whose account is confirmed can be a trusted person. Confirm your identity with your "
             "passport at any service centre (МФЦ); then accept the invitation here, while it is valid")


class TrustedUnderage(KabinetError):
    code = "trusted.underage"
    title = "A trusted person must be 18 or older by the date of birth in their account"


class TrustedTooMany(KabinetError):
    code = "trusted.too_many"
    title = "One person can be trusted by at most {limit} citizens"


class TrustedKeepRefused(KabinetError):
    code = "trusted.keep_refused"
    title = "A replacement is under way: cancel the replacement to keep the current trusted person"


class ApprovalNotFound(KabinetError):
    code = "approval.not_found"
    title = "This request was not found, has expired or has already been answered"


# --- passkeys -----------------------------------------------------------------------------------


class PasskeyRefused(KabinetError):
    """One answer for a passkey that did not prove it is the citizen (a wrong signature, another site's origin, a
    challenge used or expired, a key we do not know): nobody learns which part failed."""

    code = "passkey.refused"
    title = "The passkey did not confirm it is you. Try again, or sign in another way"


class PasskeyCloned(PasskeyRefused):
    code = "passkey.cloned"
    title = ("This passkey was refused: its counter went backwards, so a copy of it may be in use. We told you on "
             "your contacts. Sign in another way and remove this passkey")


class PasskeyInvalid(KabinetError):
    code = "passkey.invalid"
    title = "The passkey could not be added: the browser's answer did not check out. Try again"


class PasskeyExists(KabinetError):
    code = "passkey.exists"
    title = "This passkey is already added"


class PasskeyLast(KabinetError):
    code = "passkey.last"
    title = "This passkey is your only way to sign in: first turn sign-in on for a confirmed phone or email"


class PasskeyNotFound(KabinetError):
    code = "passkey.not_found"
    title = "No such passkey"


class PasskeyNameInvalid(InvalidInput):
    code = "passkey.name_invalid"
    title = "Name the passkey in 1 to 64 characters, so you can tell it from others"


class OperatorSignInAgain(KabinetError):
    """Adding or removing a console security key needs a sign-in of the last few minutes (password and app code or
    key): a console left open must not let a passer-by enrol a key of their own."""

    code = "operator.sign_in_again"
    title = "Sign in to the console again first: a security key is added or removed right after a sign-in"


class PasskeysUnavailable(KabinetError):
    code = "passkey.unavailable"
    title = "Passkeys work when the cabinet is opened by its name (like https://lk.example.ru), not by an IP address"
