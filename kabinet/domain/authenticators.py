"""Which authenticator made a passkey, by its AAGUID, for the Security page ("Google Password Manager", not a
number). Only for showing: an AAGUID is whatever the authenticator says, and no decision rests on it. A few common
ones are named here (from the community list passkeydeveloper/passkey-authenticator-aaguids); any other shows
nothing."""

from __future__ import annotations

NAMES = {
    "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4": "Google Password Manager",
    "fbfc3007-154e-4ecc-8c0b-6e020557d7bd": "Apple Passwords",
    "dd4ec289-e01d-41c9-bb89-70fa845d4bf2": "Apple Passwords",
    "08987058-cadc-4b81-b6e1-30de50dcbe96": "Windows Hello",
    "9ddd1817-af5a-4672-a2b9-3e3dd95000a9": "Windows Hello",
    "6028b017-b1d4-4c02-b4b3-afcdafc96bb2": "Windows Hello",
    "bada5566-a7aa-401f-bd96-45619a55120d": "1Password",
    "d548826e-79b4-db40-a3d8-11116f7e8349": "Bitwarden",
    "531126d6-e717-415c-9320-3d9aa6981239": "Dashlane",
    "01020304-0506-0708-0102-030405060708": "Chromium virtual authenticator",
}


def authenticator_name(aaguid: str) -> str | None:
    return NAMES.get(aaguid.lower())
