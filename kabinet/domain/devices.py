"""A person-readable device name from a User-Agent, for the sessions list (S15): the browser with its major
version and the system ("Chrome 131 · Linux") — enough to tell two sessions apart, no more (a full version string
helps nobody decide to revoke)."""

from __future__ import annotations

_BROWSERS = (("Edg/", "Edge"), ("YaBrowser/", "Yandex Browser"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
             ("Chrome/", "Chrome"), ("Safari/", "Safari"), ("curl/", "curl"), ("python-httpx/", "httpx"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("Linux", "Linux"))


# How a session was signed in, in words (English message ids): the session list, the new-device notice.
METHOD_TEXTS = {"password+sms": "password and an SMS code", "password+totp": "password and an app code",
                "password+email": "password and a code by email", "password+backup": "password and a backup code",
                "password+passkey": "password and a passkey", "passkey": "a passkey"}


def describe_device(user_agent: str | None) -> str:
    ua = user_agent or ""
    browser = next((f"{name} {v}" if (v := _major(ua, mark)) else name for mark, name in _BROWSERS if mark in ua), None)
    system = next((name for mark, name in _SYSTEMS if mark in ua), None)
    if browser and system:
        return f"{browser} · {system}"
    return browser or system or "?"


def _major(ua: str, mark: str) -> str:
    """The major version after ``mark`` (Safari's own is after "Version/")."""
    after = ua.split("Version/" if mark == "Safari/" and "Version/" in ua else mark, 1)[1]
    digits = after.split(".", 1)[0].split(" ", 1)[0]
    return digits if digits.isdigit() else ""
