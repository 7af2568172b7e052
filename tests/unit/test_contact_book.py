"""The guards of DESIGN.md §4 as pure functions: each check, passing and failing."""

from __future__ import annotations

import uuid

import pytest

from kabinet.domain.contact_book import Facts, can_remove, confirmation_channel, removal_checks, violations


def contact(kind: str, *, verified: bool = True, primary: bool = False, sign_in: bool = True,
            recovery: bool = True) -> Facts:
    return Facts(uuid.uuid4(), kind, verified, primary, sign_in if verified else False,
                 recovery if verified else False)


def checks(book: list[Facts], target: Facts, has_totp: bool = False) -> dict[str, bool]:
    return {c.id: c.ok for c in removal_checks(book, target, has_totp=has_totp)}


def test_seed_case_can_remove_old_mail_ru_once_new_one_is_primary():
    phone = contact("phone", primary=True)
    old = contact("email")
    new = contact("email", primary=True)
    assert checks([phone, old, new], old) == {"other_sign_in": True, "other_recovery": True, "not_primary": True,
                                              "second_factor": True, "export": True}
    assert can_remove([phone, old, new], old, has_totp=False)


def test_last_sign_in_contact_cannot_go():
    phone = contact("phone", primary=True, sign_in=False)
    email = contact("email", primary=True)
    assert checks([phone, email], email)["other_sign_in"] is False
    assert not can_remove([phone, email], email, has_totp=False)


def test_only_recovery_channel_cannot_go():
    phone = contact("phone", primary=True, recovery=False)
    email = contact("email", primary=True)
    result = checks([phone, email], email)
    assert result["other_recovery"] is False and result["other_sign_in"] is True


def test_primary_email_with_another_email_must_hand_over_first():
    phone = contact("phone", primary=True)
    primary = contact("email", primary=True)
    other = contact("email")
    check = next(c for c in removal_checks([phone, primary, other], primary, has_totp=False) if c.id == "not_primary")
    assert check.ok is False and check.fix == f"make_primary:{other.id}"
    assert checks([phone, primary], primary)["not_primary"] is True  # the only email may go


def test_last_phone_needs_another_phone_or_totp():
    phone = contact("phone", primary=True)
    email = contact("email", primary=True)
    assert checks([phone, email], phone)["second_factor"] is False
    assert checks([phone, email], phone, has_totp=True)["second_factor"] is True
    backup = contact("phone")
    assert checks([phone, backup, email], phone)["second_factor"] is True
    assert checks([phone, backup, email], phone)["not_primary"] is False


def test_unverified_contact_serves_nothing_and_can_always_go():
    phone = contact("phone", primary=True)
    pending = contact("email", verified=False)
    assert all(checks([phone, pending], pending).values())


def test_export_is_offered_but_never_blocks():
    phone = contact("phone", primary=True)
    export = next(c for c in removal_checks([phone], phone, has_totp=False) if c.id == "export")
    assert export.ok and not export.blocking and export.fix == "export"


@pytest.mark.parametrize("has_totp", [False, True])
def test_confirmation_goes_elsewhere_than_the_target(has_totp):
    phone = contact("phone", primary=True)
    backup = contact("phone")
    email = contact("email", primary=True)
    where = confirmation_channel([phone, backup, email], phone, has_totp=has_totp)
    assert where == ("totp" if has_totp else backup)
    assert confirmation_channel([phone, backup, email], email, has_totp=False) == phone  # primary first
    assert confirmation_channel([phone, email], phone, has_totp=False) is None


def test_violations_name_each_broken_rule():
    assert violations([contact("phone", primary=True)], has_totp=False) == []
    assert violations([contact("email", primary=True)], has_totp=False) == ["no_second_factor"]
    assert "no_sign_in_contact" in violations([contact("phone", sign_in=False)], has_totp=False)
    assert "no_recovery_channel" in violations([contact("phone", recovery=False)], has_totp=False)
    assert "two_primary_phones" in violations([contact("phone", primary=True)] * 2, has_totp=False)
    pending_primary = Facts(uuid.uuid4(), "email", False, True)
    assert "unverified_primary" in violations([contact("phone"), pending_primary], has_totp=False)
