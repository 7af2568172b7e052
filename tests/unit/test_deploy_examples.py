"""The deployment examples (deploy/) stay true to the code: every KABINET_* variable they set is a setting Kabinet
reads, and every command they start is one the CLI has (issue 22)."""

from __future__ import annotations

import re
from pathlib import Path

from kabinet.cli import app
from kabinet.config import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_every_variable_in_the_examples_is_a_setting():
    named = set()
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            named |= set(re.findall(r"\bKABINET_([A-Z_]+)\b", path.read_text()))
    assert named, "the examples set no variables?"
    assert {n.lower() for n in named} <= set(Settings.model_fields), sorted(
        n for n in named if n.lower() not in Settings.model_fields)


def test_every_command_in_the_examples_is_a_command_of_the_cli():
    commands = {c.name or c.callback.__name__ for c in app.registered_commands}
    started = set()
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            started |= set(re.findall(r"kabinet\"?,? \"?(serve|worker|demo|purge)\b", path.read_text()))
    assert {"serve", "worker"} <= started <= commands
