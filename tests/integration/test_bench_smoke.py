"""The benchmark as a smoke test (issue 12): a few seconds of every phase against a real ``kabinet serve`` on
SQLite — the flows complete, nothing is left in the outbox, nothing went wrong. No timing is asserted here: speed
lives in docs/PERFORMANCE.md."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("outbox", ["inline", "worker"])  # the web process sends, or a `kabinet worker` of its own
def test_every_phase_completes_and_the_outbox_drains(tmp_path, outbox):
    out = tmp_path / "bench.json"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = subprocess.run(
        [sys.executable, "-m", "bench.walk", "--base", f"http://127.0.0.1:{port}", "--users", "60",
         "--concurrency", "2", "--read-clients", "4", "--workers", "1", "--signin-seconds", "1", "--flow-seconds", "2",
         "--cycle-seconds", "2", "--read-seconds", "1", "--outbox", outbox, "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(out.read_text())
    for phase in ("signin", "flow", "cycle", "reads"):
        assert result[phase]["completed"] > 0 and result[phase]["errors"] == {}, (phase, result[phase])
    assert result["outbox"]["left"] == 0
    assert result["server_problems"] == {}
    assert result["meta"]["server"].endswith("kabinet worker") == (outbox == "worker")
