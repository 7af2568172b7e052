"""Ids as they come from a URL or a form: a malformed one is simply "not found" (nothing to learn from it)."""

from __future__ import annotations

import uuid

from kabinet.domain.errors import KabinetError

# An id a flow accepts: a UUID, or the string from a URL that it parses itself (a bad one is "not found").
Id = str | uuid.UUID


def parse_id(value: Id, not_found: type[KabinetError]) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise not_found() from None
