"""The state registers that confirm identity data (SNILS with the Pension and Social Fund, the passport with
the Interior Ministry), behind a small port so flows never see the network.

Why a dev implementation: there is no register on a developer's machine. ``DevRegisters`` confirms every
well-formed record except passports numbered ``000…`` — a documented way to see a refusal in the demo.
"""

from __future__ import annotations

from typing import Protocol

from kabinet.domain.identity import IdentityData


class IdentityRegisters(Protocol):
    def confirms(self, data: IdentityData, full_name: str) -> bool: ...


class DevRegisters:
    def confirms(self, data: IdentityData, full_name: str) -> bool:
        return not data.passport.number.startswith("000")
