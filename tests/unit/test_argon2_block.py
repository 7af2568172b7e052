"""The kept-block verification agrees with argon2-cffi's own on everything it takes, and declines the rest."""

from __future__ import annotations

import threading

import pytest
from argon2 import PasswordHasher, Type

from kabinet.security import argon2_block, passwords

KIB = passwords.MEMORY_KIB
ours = PasswordHasher(time_cost=2, memory_cost=KIB, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)


@pytest.mark.parametrize("password", ["correct horse", "пароль-на-кириллице-1", "x" * 200])
def test_agrees_with_the_library_for_the_right_and_a_wrong_password(password):
    stored = ours.hash(password)
    assert argon2_block.verify(stored, password.encode(), KIB) is True
    assert argon2_block.verify(stored, (password + "!").encode(), KIB) is False
    assert argon2_block.verify(stored, password[:-1].encode(), KIB) is False


def test_other_argon2id_costs_within_the_block_are_taken():
    for hasher in (PasswordHasher(time_cost=3, memory_cost=8 * 1024, parallelism=2, type=Type.ID),
                   PasswordHasher(time_cost=1, memory_cost=KIB, parallelism=1, hash_len=16, salt_len=8, type=Type.ID)):
        stored = hasher.hash("a-password-1")
        assert argon2_block.verify(stored, b"a-password-1", KIB) is True
        assert argon2_block.verify(stored, b"a-password-2", KIB) is False


@pytest.mark.parametrize("stored", [
    PasswordHasher(memory_cost=64 * 1024, type=Type.ID).hash("p"),  # more memory than the block
    PasswordHasher(memory_cost=8 * 1024, type=Type.I).hash("p"),  # another variant
    "", "not a hash", "$argon2id$v=19$m=19456,t=2,p=1$", "$argon2id$v=19$m=19456,t=2,p=1$!!!!$@@@@",
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$",  # no digest
])
def test_declines_what_it_does_not_take(stored):
    assert argon2_block.verify(stored, b"p", KIB) is None


def test_the_password_module_still_answers_for_hashes_the_block_declines():
    bigger = PasswordHasher(memory_cost=32 * 1024, type=Type.ID).hash("a-password-1")
    assert passwords.verify_password(bigger, "a-password-1") is True
    assert passwords.verify_password(bigger, "a-password-2") is False
    assert passwords.verify_password("garbage", "a-password-1") is False
    assert passwords.verify_password(None, "a-password-1") is False
    assert passwords.verify_password(passwords.hash_password("a-password-1"), "a-password-1") is True


def test_threads_verify_at_once_each_with_its_own_block():
    stored = ours.hash("a-password-1")
    results: list[bool | None] = []

    def one(i: int) -> None:
        results.append(argon2_block.verify(stored, b"a-password-1" if i % 2 else b"wrong", KIB))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results) == [False] * 3 + [True] * 3
