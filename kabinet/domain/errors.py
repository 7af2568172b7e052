"""Every error a citizen can meet, with a stable code and a title in Russian and English.

Why one module: the web layer maps these to RFC 9457 problems through one table, tests match on
``code`` (never on prose), and a translator sees every sentence in one place.
"""

from __future__ import annotations

from typing import Any, ClassVar


class KabinetError(Exception):
    """Base of all domain errors. ``status`` is the HTTP status the web layer answers with."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    title_ru: ClassVar[str] = "Что-то пошло не так"
    title_en: ClassVar[str] = "Something went wrong"

    def __init__(self, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(self.code)
        self.field = field
        self.extra = extra

    def title(self, locale: str) -> str:
        text = self.title_en if locale == "en" else self.title_ru
        return text.format(**self.extra) if self.extra else text


# --- input -------------------------------------------------------------------------------------------


class InvalidInput(KabinetError):
    code = "input.invalid"
    status = 422
    title_ru = "Проверьте введённые данные"
    title_en = "Please check what you entered"


class PhoneInvalid(InvalidInput):
    code = "phone.invalid"
    title_ru = "Номер телефона указан неверно"
    title_en = "The phone number is not valid"


class PhoneNotMobile(InvalidInput):
    code = "phone.not_mobile"
    title_ru = "Нужен номер мобильного телефона: на него придёт СМС"
    title_en = "A mobile number is needed: a text message will be sent to it"


class EmailInvalid(InvalidInput):
    code = "email.invalid"
    title_ru = "Адрес электронной почты указан неверно"
    title_en = "The email address is not valid"


class SnilsInvalid(InvalidInput):
    code = "snils.invalid"
    title_ru = "СНИЛС указан неверно: нужно 11 цифр в виде 123-456-789 01"
    title_en = "The SNILS is not valid: 11 digits written as 123-456-789 01"


class SnilsChecksum(InvalidInput):
    code = "snils.checksum"
    title_ru = "В СНИЛС ошибка: контрольное число не сходится"
    title_en = "The SNILS has a typo: its check number does not match"


class PassportInvalid(InvalidInput):
    code = "passport.invalid"
    title_ru = "Серия и номер паспорта указаны неверно: 4 цифры серии и 6 цифр номера, как 45 08 123456"
    title_en = "The passport series and number are not valid: 4 digits and 6 digits, as in 45 08 123456"


class BirthDateInvalid(InvalidInput):
    code = "birth_date.invalid"
    title_ru = "Дата рождения указана неверно"
    title_en = "The date of birth is not valid"


class InvalidInputs(InvalidInput):
    """Several fields are wrong at once; ``problems`` holds one error per field."""

    def __init__(self, problems: list[InvalidInput]) -> None:
        super().__init__(field=problems[0].field if problems else None)
        self.problems = problems


class PasswordWeak(InvalidInput):
    code = "password.weak"
    title_ru = "Пароль слишком простой: не короче 8 символов, не из списка частых, без телефона и почты"
    title_en = "The password is too weak: at least 8 characters, not a common one, without your phone or email"


class NameInvalid(InvalidInput):
    code = "name.invalid"
    title_ru = "Укажите фамилию, имя и отчество (до 200 символов)"
    title_en = "Enter your full name (up to 200 characters)"


# --- signing in, sessions, step-up ---------------------------------------------------------------------


class AuthFailed(KabinetError):
    """One answer for an unknown login and a wrong password, so nobody learns which accounts exist."""

    code = "auth.failed"
    status = 401
    title_ru = "Неверный логин или пароль"
    title_en = "Wrong login or password"


class NotSignedIn(KabinetError):
    code = "auth.required"
    status = 401
    title_ru = "Войдите в личный кабинет"
    title_en = "Please sign in"


class StepUpRequired(KabinetError):
    code = "auth.step_up_required"
    status = 403
    title_ru = "Подтвердите, что это вы: введите код из СМС"
    title_en = "Confirm it is you: enter the code from the text message"


class AccountLocked(KabinetError):
    code = "auth.account_locked"
    status = 403
    title_ru = "Вход приостановлен: восстановите доступ и смените пароль"
    title_en = "Signing in is suspended: recover access and change the password"


class RecoveryNotFound(KabinetError):
    """One answer for an unknown, expired, finished or out-of-order recovery: nothing to learn from it."""

    code = "recovery.not_found"
    status = 404
    title_ru = "Восстановление не найдено или устарело. Начните заново"
    title_en = "This recovery was not found or has expired. Please start again"


class RecoveryNeedsVisit(KabinetError):
    code = "recovery.visit_required"
    status = 409
    title_ru = ("Этим способом доступ не восстановить: контакт давно не подтверждался. "
                "Обратитесь в центр обслуживания с паспортом и СНИЛС")
    title_en = ("Access cannot be recovered this way: the contact has not been confirmed for a long time. "
                "Visit a service centre with your passport and SNILS")


class IdentityNotConfirmed(KabinetError):
    code = "identity.not_confirmed"
    status = 422
    title_ru = "Государственные реестры не подтвердили эти данные. Проверьте СНИЛС, паспорт и дату рождения"
    title_en = "The state registers did not confirm these data. Check the SNILS, passport and date of birth"


class IdentityLocked(KabinetError):
    code = "identity.locked"
    status = 409
    title_ru = "Подтверждённые данные документов меняются только в центре обслуживания"
    title_en = "Confirmed identity data can only be changed at a service centre"


class ProofWrong(KabinetError):
    code = "recovery.proof_wrong"
    status = 400
    title_ru = "Код не подошёл. Осталось попыток: {attempts_left}"
    title_en = "The code did not match. Attempts left: {attempts_left}"


class RateLimited(KabinetError):
    code = "rate_limited"
    status = 429
    title_ru = "Слишком много попыток. Повторите через {retry_after} с"
    title_en = "Too many attempts. Try again in {retry_after} s"


class SessionNotFound(KabinetError):
    code = "session.not_found"
    status = 404
    title_ru = "Сеанс не найден"
    title_en = "Session not found"


# --- codes and links --------------------------------------------------------------------------------


class ChallengeNotFound(KabinetError):
    code = "challenge.not_found"
    status = 404
    title_ru = "Запрос на подтверждение не найден"
    title_en = "Confirmation request not found"


class ChallengeExpired(KabinetError):
    code = "challenge.expired"
    status = 410
    title_ru = "Срок действия кода истёк. Запросите новый"
    title_en = "The code has expired. Request a new one"


class ChallengeUsed(KabinetError):
    code = "challenge.used"
    status = 410
    title_ru = "Этот код уже использован"
    title_en = "This code has already been used"


class ChallengeDead(KabinetError):
    code = "challenge.too_many_attempts"
    status = 410
    title_ru = "Слишком много неверных попыток. Начните заново"
    title_en = "Too many wrong attempts. Please start again"


class CodeWrong(KabinetError):
    code = "challenge.code_wrong"
    status = 400
    title_ru = "Неверный код. Осталось попыток: {attempts_left}"
    title_en = "Wrong code. Attempts left: {attempts_left}"


class ResendTooSoon(KabinetError):
    code = "challenge.resend_too_soon"
    status = 429
    title_ru = "Отправить ещё раз можно через {resend_after} с"
    title_en = "You can resend in {resend_after} s"


class LinkInvalid(KabinetError):
    """One answer for an unknown, used or expired link: a guessed token learns nothing."""

    code = "link.invalid"
    status = 400
    title_ru = "Ссылка недействительна или устарела. Запросите письмо ещё раз"
    title_en = "The link is invalid or has expired. Request the letter again"


# --- contacts and their guards ------------------------------------------------------------------------


class ContactNotFound(KabinetError):
    code = "contact.not_found"
    status = 404
    title_ru = "Контакт не найден"
    title_en = "Contact not found"


class ContactNotVerified(KabinetError):
    code = "contact.not_verified"
    status = 409
    title_ru = "Сначала подтвердите этот контакт"
    title_en = "Confirm this contact first"


class ContactAlreadyYours(KabinetError):
    code = "contact.already_added"
    status = 409
    title_ru = "Этот контакт уже есть в вашей учётной записи"
    title_en = "This contact is already in your account"


class GuardRefused(KabinetError):
    """A change that would lock the citizen out; ``checks`` says what to do first."""

    code = "contact.guard"
    status = 409
    title_ru = "Сейчас этот контакт удалить нельзя"
    title_en = "This contact cannot be removed now"


class NoSecondChannel(KabinetError):
    code = "contact.no_confirmation_channel"
    status = 409
    title_ru = "Нет другого телефона или приложения, куда можно отправить код подтверждения"
    title_en = "There is no other phone or app to send a confirmation code to"


class ContactTaken(KabinetError):
    """Told only to whoever just proved control of the contact (the right code), so nothing leaks."""

    code = "contact.taken"
    status = 409
    title_ru = "Этот контакт только что подтверждён в другой учётной записи"
    title_en = "This contact has just been confirmed on another account"


class ConcurrentChange(KabinetError):
    code = "conflict"
    status = 409
    title_ru = "Эти данные только что изменились. Обновите страницу и попробуйте ещё раз"
    title_en = "This has just changed. Reload the page and try again"


# --- requests ---------------------------------------------------------------------------------------


class RequestTooLarge(KabinetError):
    code = "request.too_large"
    status = 413
    title_ru = "Слишком большой запрос"
    title_en = "The request is too large"


class CrossSiteRefused(KabinetError):
    code = "request.cross_site"
    status = 403
    title_ru = "Запрос пришёл с другого сайта и отклонён"
    title_en = "The request came from another site and was refused"


class NotFound(KabinetError):
    code = "not_found"
    status = 404
    title_ru = "Страница не найдена"
    title_en = "Not found"


class ContactAlreadyVerified(KabinetError):
    code = "contact.already_verified"
    status = 409
    title_ru = "Этот контакт уже подтверждён"
    title_en = "This contact is already confirmed"
