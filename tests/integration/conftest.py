"""Fixtures the integration suites share across files: the demo citizen signed in, and a live Kabinet on a
loopback port for relying services."""

import pytest

from tests.integration.helpers import Citizen, demo_citizen
from tests.integration.test_oidc import live  # noqa: F401 - a fixture, found by pytest by name


@pytest.fixture
def ivan(client, kb, sms, mail) -> Citizen:
    """The demo citizen (DOMAIN.md), seeded and signed in by password and SMS code over HTTP."""
    return demo_citizen(client, kb, sms, mail)
