"""WebAuthn for the flows, through ``webauthn`` (py_webauthn): the options a browser is given and the checks of what
its authenticator answers — never a hand-written CBOR or signature check.

The relying party is the host of ``KABINET_BASE_URL`` and the origin its scheme, host and port (API.md, Passkeys):
an authenticator binds each passkey to that host, so a phishing site's page cannot use it. Passkeys are
discoverable (resident) and always verify the user (a PIN or a biometric): a passkey is then both factors at once.
A challenge is used once, for five minutes, and stored only as a keyed hash (``Challenge.secret_hash``): the
browser's ``clientDataJSON`` carries it back, so it is found by it.

py_webauthn (and the cryptography, CBOR and ASN.1 code under it: ~13 MB) is imported at the first passkey step,
not with this module: every web worker imports the flows, and most of its requests never touch a passkey.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from webauthn.helpers.cose import COSEAlgorithmIdentifier

RP_NAME = "Kabinet"
TIMEOUT_MS = 5 * 60 * 1000
# What py_webauthn raises on a body that is not a credential at all (a field missing, bad base64, a wrong type, CBOR
# that does not parse, backup flags that contradict): a browser never sends one, so it is a refusal like a bad
# signature — never a 500. WebAuthnException is the root of its own (InvalidJSONStructure, InvalidBackupFlags, …);
# the rest come from the standard parsers underneath it.
PARSERS_RAISE = (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError)


@functools.cache
def malformed() -> tuple[type[Exception], ...]:
    from webauthn.helpers.exceptions import WebAuthnException

    return (WebAuthnException, *PARSERS_RAISE)


@functools.cache
def algorithms() -> list[COSEAlgorithmIdentifier]:
    from webauthn.helpers.cose import COSEAlgorithmIdentifier

    return [COSEAlgorithmIdentifier.ECDSA_SHA_256, COSEAlgorithmIdentifier.EDDSA,
            COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256]


@functools.cache
def transports_known() -> frozenset[str]:
    from webauthn.helpers.structs import AuthenticatorTransport

    return frozenset(t.value for t in AuthenticatorTransport)


def b64decode(text: str) -> bytes:
    """base64url without padding, as WebAuthn's JSON forms carry it."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Refused(Exception):
    """The authenticator's answer does not hold: a bad signature, another origin or relying party, no user
    verification, a challenge not ours."""


class CounterWentBack(Refused):
    """The signature is right but the authenticator's counter went backwards: a copy of the key is in use."""


@dataclass(frozen=True)
class RelyingParty:
    id: str
    origin: str
    name: str = RP_NAME


DEFAULT_PORTS = {"https": 443, "http": 80}


def relying_party(base_url: str) -> RelyingParty:
    """The origin as a browser serialises it in ``clientDataJSON``: a scheme's default port is left out
    (``https://host:443`` is sent as ``https://host``), or every answer would fail the origin check."""
    parts = urlsplit(base_url)
    scheme, host, port = parts.scheme.lower(), parts.hostname or "", parts.port
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address is bracketed in an origin
    keep = port is not None and port != DEFAULT_PORTS.get(scheme)
    return RelyingParty(id=host, origin=f"{scheme}://{shown}" + (f":{port}" if keep else ""))


def browsers_accept(rp_id: str) -> bool:
    """Whether a browser will make or use a passkey for this relying party: not for an IP address (Chromium and
    Firefox refuse one as an RP id, though the protocol and a software or hardware authenticator take it)."""
    try:
        ipaddress.ip_address(rp_id)
    except ValueError:
        return bool(rp_id)
    return False


@dataclass(frozen=True)
class Registered:
    credential_id: str  # base64url
    public_key: str  # COSE, base64url
    sign_count: int
    aaguid: str
    backup_eligible: bool
    backup_state: bool
    transports: list[str]


def creation_options(rp: RelyingParty, *, user_handle: bytes, user_name: str, display_name: str,
                     exclude: list[str]) -> tuple[dict[str, Any], str]:
    """``PublicKeyCredentialCreationOptionsJSON`` and its challenge (base64url): a discoverable credential with
    user verification, no attestation asked (a citizen's choice of authenticator is theirs)."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers.structs import (
        AttestationConveyancePreference,
        AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    options = generate_registration_options(
        rp_id=rp.id, rp_name=rp.name, user_id=user_handle, user_name=user_name, user_display_name=display_name,
        attestation=AttestationConveyancePreference.NONE, timeout=TIMEOUT_MS, supported_pub_key_algs=algorithms(),
        authenticator_selection=AuthenticatorSelectionCriteria(resident_key=ResidentKeyRequirement.REQUIRED,
                                                               user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=b64decode(c)) for c in exclude])
    return json.loads(options_to_json(options)), b64encode(options.challenge)


def request_options(rp: RelyingParty, *, allow: list[tuple[str, list[str]]] | None = None
                    ) -> tuple[dict[str, Any], str]:
    """``PublicKeyCredentialRequestOptionsJSON``: no credentials listed (a discoverable sign-in: no login typed), or
    the account's own (a confirmation by a citizen already known)."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers.structs import (
        AuthenticatorTransport,
        PublicKeyCredentialDescriptor,
        UserVerificationRequirement,
    )

    options = generate_authentication_options(
        rp_id=rp.id, timeout=TIMEOUT_MS, user_verification=UserVerificationRequirement.REQUIRED,
        allow_credentials=[PublicKeyCredentialDescriptor(
            id=b64decode(c), transports=[AuthenticatorTransport(t) for t in ts if t in transports_known()])
            for c, ts in (allow or [])])
    return json.loads(options_to_json(options)), b64encode(options.challenge)


def challenge_of(credential: dict[str, Any]) -> str | None:
    """The challenge the browser answered (base64url), read from its ``clientDataJSON``; None if unreadable."""
    try:
        client_data = json.loads(b64decode(credential["response"]["clientDataJSON"]))
        challenge = client_data["challenge"]
    except (KeyError, TypeError, ValueError):
        return None
    return challenge if isinstance(challenge, str) and len(challenge) <= 128 else None


def credential_id_of(credential: dict[str, Any]) -> str | None:
    raw = credential.get("rawId") or credential.get("id")
    return raw if isinstance(raw, str) and 0 < len(raw) <= 1400 else None


def user_handle_of(credential: dict[str, Any]) -> bytes | None:
    try:
        handle = credential["response"].get("userHandle")
        return b64decode(handle) if handle else None
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def verify_registration(rp: RelyingParty, credential: dict[str, Any], challenge: str) -> Registered:
    from webauthn import verify_registration_response

    try:
        checked = verify_registration_response(credential=credential, expected_challenge=b64decode(challenge),
                                               expected_origin=rp.origin, expected_rp_id=rp.id,
                                               require_user_verification=True, supported_pub_key_algs=algorithms())
    except malformed() as exc:
        raise Refused(str(exc)) from exc
    transports = _transports(credential)
    return Registered(credential_id=b64encode(checked.credential_id),
                      public_key=b64encode(checked.credential_public_key), sign_count=checked.sign_count,
                      aaguid=checked.aaguid, backup_eligible=checked.credential_device_type.value == "multi_device",
                      backup_state=checked.credential_backed_up,
                      transports=transports)


def _transports(credential: dict[str, Any]) -> list[str]:
    """The transports the browser named, those we know; anything else in their place (not a list) is none."""
    response = credential.get("response")
    named = response.get("transports") if isinstance(response, dict) else None
    return [t for t in named if isinstance(t, str) and t in transports_known()] if isinstance(named, list) else []


def verify_assertion(rp: RelyingParty, credential: dict[str, Any], challenge: str, *, public_key: str,
                     sign_count: int) -> tuple[int, bool]:
    """The authenticator's new counter and its backup state, or ``Refused`` (``CounterWentBack`` for a copy)."""
    from webauthn import verify_authentication_response
    from webauthn.helpers.exceptions import InvalidAuthenticationResponse

    try:
        checked = verify_authentication_response(
            credential=credential, expected_challenge=b64decode(challenge), expected_rp_id=rp.id,
            expected_origin=rp.origin, credential_public_key=b64decode(public_key),
            credential_current_sign_count=sign_count, require_user_verification=True)
    except InvalidAuthenticationResponse as exc:
        # py_webauthn says "Response sign count of N was not greater than current count of M" for a counter that
        # did not grow; every other refusal is a plain one
        if "sign count" in str(exc).lower():
            raise CounterWentBack(str(exc)) from exc
        raise Refused(str(exc)) from exc
    except malformed() as exc:
        raise Refused(str(exc)) from exc
    return checked.new_sign_count, checked.credential_backed_up
