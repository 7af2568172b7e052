"""Fixtures the integration suites share across files: a live Kabinet on a loopback port for relying services."""

from tests.integration.test_oidc import live  # noqa: F401 - a fixture, found by pytest by name
