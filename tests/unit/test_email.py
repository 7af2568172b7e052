"""Emails (DOMAIN.md, Identifiers): IDN shown in Unicode and sent in ASCII, case kept for display but
ignored for comparison, header injection, display names, quoting, homoglyph domains and length refused,
providers by family."""

from __future__ import annotations

import email_validator
import idna
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kabinet.domain.email import PROVIDER_TITLES, Email, is_mail_ru, parse_email, provider_of
from kabinet.domain.errors import EmailInvalid


def test_case_is_kept_for_display_and_dropped_for_comparison():
    email = parse_email("Ivan.Ivanov@MAIL.RU")
    assert email == Email(local="Ivan.Ivanov", domain_unicode="mail.ru", domain_ascii="mail.ru")
    assert email.display == "Ivan.Ivanov@mail.ru"
    assert email.ascii == "Ivan.Ivanov@mail.ru"
    assert email.normalized == "ivan.ivanov@mail.ru"
    assert parse_email("ivan.ivanov@mail.ru").normalized == email.normalized


def test_surrounding_whitespace_is_stripped():
    assert parse_email("  ivan@mail.ru \u00a0").display == "ivan@mail.ru"


def test_idn_is_shown_in_unicode_and_sent_in_ascii():
    email = parse_email("ivan@почта.рф")
    assert (email.domain_unicode, email.domain_ascii) == ("почта.рф", "xn--80a1acny.xn--p1ai")
    assert email.display == "ivan@почта.рф"
    assert email.ascii == "ivan@xn--80a1acny.xn--p1ai"
    assert email.normalized == "ivan@xn--80a1acny.xn--p1ai"
    assert email.masked == "i***@почта.рф"


def test_idn_typed_in_capitals_or_punycode_is_the_same_address():
    upper = parse_email("Ivan@ПОЧТА.РФ")
    puny = parse_email("ivan@XN--80A1ACNY.XN--P1AI")
    assert upper.display == "Ivan@почта.рф" and puny.display == "ivan@почта.рф"
    assert upper.normalized == puny.normalized == "ivan@xn--80a1acny.xn--p1ai"


def test_fullwidth_domain_letters_fold_to_ascii():
    assert parse_email("ivan@ｍａｉｌ.ru").display == "ivan@mail.ru"  # UTS 46 mapping in email-validator


def test_other_single_script_idn_labels_are_allowed():
    assert parse_email("hans@müller.de").domain_ascii == "xn--mller-kva.de"
    assert parse_email("a@αβγ.gr").domain_unicode == "αβγ.gr"
    assert parse_email("a@ひらがな漢字.jp").domain_unicode == "ひらがな漢字.jp"  # Japanese mixes kana and kanji
    assert parse_email("a@佐々木.jp").domain_unicode == "佐々木.jp"  # 々 is named IDEOGRAPHIC, not CJK
    assert parse_email("a@пример-2024.рф").domain_unicode == "пример-2024.рф"  # digits and hyphens are neutral
    assert parse_email("a@почта.ru").domain_ascii == "xn--80a1acny.ru"  # one script per label, not per domain


@pytest.mark.parametrize(("text", "masked"), [
    ("ivan.ivanov@mail.ru", "i***@mail.ru"), ("Ivan@MAIL.RU", "I***@mail.ru"), ("x@ya.ru", "x***@ya.ru"),
])
def test_mask(text, masked):
    assert parse_email(text).masked == masked


@pytest.mark.parametrize("text", [
    "a@b.ru\r\nBcc: x@y.ru", "ivan@mail.ru\r\n", "ivan@mail.ru\n", "\rivan@mail.ru", "iv\tan@mail.ru",
    "ivan@mail.ru\x00", "ivan@mail.ru\x7f", "ivan@mail.ru\x85", "ivan@mail.ru\u2028", "ivan@mail.ru\u2029",
    "\ufeffivan@mail.ru", "ivan@mail.ru\u200b",
])
def test_control_characters_are_refused_even_at_the_ends(text):
    with pytest.raises(EmailInvalid) as caught:
        parse_email(text)
    assert caught.value.code == "email.invalid" and caught.value.field == "email"


@pytest.mark.parametrize("text", [
    "Ivan <ivan@mail.ru>", "<ivan@mail.ru>", '"Ivan" <ivan@mail.ru>', '"ivan"@mail.ru', '"iv an"@mail.ru',
    "ivan@[127.0.0.1]", "ivan@localhost", "ivan@mail.test", "ivan@printer.local", "ivan@ru",
])
def test_display_names_quoting_literals_and_special_domains_are_refused(text):
    with pytest.raises(EmailInvalid):
        parse_email(text)


@pytest.mark.parametrize("text", [
    "ivan@mаil.ru",  # Cyrillic а in a Latin label
    "ivan@yаndex.ru",
    "ivan@gοogle.com",  # Greek omicron
    "ivan@pоchта.рф",  # Latin and Cyrillic in one label
    "ivan@mail.rц",
    "ivan@xn--mil-6cd.ru",  # the same homoglyph typed as punycode
])
def test_homoglyph_domains_are_refused(text):
    email_validator.validate_email(text, check_deliverability=False)  # email-validator alone lets it through
    with pytest.raises(EmailInvalid):
        parse_email(text)


@pytest.mark.parametrize("text", ["иван@mail.ru", "ivan.ü@mail.ru", "ivan@", "@mail.ru", "ivan", "ivan@@mail.ru",
                                  "iv..an@mail.ru", ".ivan@mail.ru", "ivan@mail..ru", "ivan@-mail.ru",
                                  "ivan@mail_ru.ru", "iv an@mail.ru", "", "   "])
def test_bad_syntax_and_non_ascii_local_parts_are_refused(text):
    with pytest.raises(EmailInvalid):
        parse_email(text)


def test_length_limits():
    domain = "d" * 61 + "." + "d" * 61 + "." + "d" * 62 + ".ru"
    at_limit = "a" * 64 + "@" + domain
    assert len(at_limit) == 254
    assert parse_email(at_limit).display == at_limit
    with pytest.raises(EmailInvalid):
        parse_email("a" * 64 + "@d" + domain)  # 255 characters
    with pytest.raises(EmailInvalid):
        parse_email("a" * 250 + "@mail.ru")
    with pytest.raises(EmailInvalid):
        parse_email("a" * 65 + "@mail.ru")  # RFC 5321: local part at most 64 octets
    assert parse_email("a" * 64 + "@mail.ru").local == "a" * 64


def test_idn_length_is_checked_in_its_ascii_form():
    label = "абвгдежзийклмнопрстуфхцчшщъыьэюя"
    domain = ".".join([label] * 6) + ".рф"
    text = f"ivan@{domain}"
    ascii_domain = ".".join(idna.encode(part).decode() for part in domain.split("."))
    assert len(text) < 254 and len("ivan@" + ascii_domain) > 254
    with pytest.raises(EmailInvalid):
        parse_email(text)


def test_email_validator_globals_do_not_loosen_our_rules(monkeypatch):
    monkeypatch.setattr(email_validator, "TEST_ENVIRONMENT", True)
    monkeypatch.setattr(email_validator, "ALLOW_QUOTED_LOCAL", True)
    monkeypatch.setattr(email_validator, "ALLOW_SMTPUTF8", True)
    monkeypatch.setattr(email_validator, "ALLOW_DOMAIN_LITERAL", True)
    monkeypatch.setattr(email_validator, "CHECK_DELIVERABILITY", True)  # would need DNS: no internet here
    for text in ("ivan@mail.test", "иван@mail.ru", "ivan@[127.0.0.1]"):
        with pytest.raises(EmailInvalid):
            parse_email(text)
    assert parse_email("ivan@mail.ru").normalized == "ivan@mail.ru"


@pytest.mark.parametrize(("domain", "provider"), [
    ("mail.ru", "mail.ru"), ("inbox.ru", "mail.ru"), ("list.ru", "mail.ru"), ("bk.ru", "mail.ru"),
    ("internet.ru", "mail.ru"),
    ("yandex.ru", "yandex"), ("ya.ru", "yandex"), ("yandex.com", "yandex"), ("narod.ru", "yandex"),
    ("rambler.ru", "rambler"), ("lenta.ru", "rambler"), ("ro.ru", "rambler"),
    ("gmail.com", "gmail"), ("googlemail.com", "gmail"),
    ("example.org", "example.org"), ("Example.ORG", "example.org"), ("mail.ru.evil.com", "mail.ru.evil.com"),
    ("xn--80a1acny.xn--p1ai", "xn--80a1acny.xn--p1ai"),
])
def test_providers(domain, provider):
    assert provider_of(domain) == provider
    assert parse_email(f"ivan@{domain}").provider == provider


def test_every_provider_has_a_title():
    assert {provider_of(d) for d in ("mail.ru", "ya.ru", "ro.ru", "gmail.com")} == set(PROVIDER_TITLES)
    assert PROVIDER_TITLES["yandex"] == "Яндекс" and PROVIDER_TITLES["mail.ru"] == "Mail.ru"


def test_is_mail_ru():
    assert is_mail_ru(parse_email("ivan.ivanov@mail.ru"))
    assert is_mail_ru(parse_email("Ivan@BK.RU"))
    assert not is_mail_ru(parse_email("ivan.ivanov@yandex.ru"))
    assert not is_mail_ru(parse_email("ivan@mail.ru.evil.com"))


atoms = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-",
                min_size=1, max_size=20)
locals_ = st.lists(atoms, min_size=1, max_size=3).map(".".join)
known_domains = st.sampled_from(["mail.ru", "inbox.ru", "yandex.ru", "rambler.ru", "gmail.com", "почта.рф"])


@given(locals_, known_domains)
def test_case_never_makes_two_addresses(local, domain):
    typed = parse_email(f"{local}@{domain.upper()}")
    assert typed.local == local  # kept as typed
    assert typed.domain_unicode == domain
    assert typed.normalized == parse_email(f"{local.lower()}@{domain}").normalized
    assert typed.normalized == f"{local.lower()}@{typed.domain_ascii}"
    assert typed.masked == f"{local[0]}***@{domain}"


LOOKALIKES = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і"}  # Latin → Cyrillic


@given(st.sampled_from(["mail", "yandex", "rambler", "gmail", "googlemail", "inbox", "example"]), st.data())
def test_one_lookalike_letter_is_always_refused(label, data):
    positions = [i for i, ch in enumerate(label) if ch in LOOKALIKES]
    i = data.draw(st.sampled_from(positions))
    spoofed = label[:i] + LOOKALIKES[label[i]] + label[i + 1:]
    assert spoofed != label
    with pytest.raises(EmailInvalid):
        parse_email(f"ivan@{spoofed}.ru")
