"""A person-readable device name from a User-Agent, for the sessions list (S15). Rough on purpose:
"Chrome on Windows" is what a citizen recognises; exact versions help nobody decide to revoke."""

from __future__ import annotations

_BROWSERS = (("Edg/", "Edge"), ("YaBrowser", "Yandex Browser"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
             ("Chrome/", "Chrome"), ("Safari/", "Safari"), ("curl/", "curl"), ("python-httpx", "httpx"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("Linux", "Linux"))


def describe_device(user_agent: str | None) -> str:
    ua = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in ua), None)
    system = next((name for mark, name in _SYSTEMS if mark in ua), None)
    if browser and system:
        return f"{browser} · {system}"
    return browser or system or "?"
