"""Kabinet against the django-allauth reference, on this box, in one command (issue 12's table).

Runs the peer (``../shared/peers/allauth``, copied to a scratch folder so ``shared/`` is never written; Kabinet's
Argon2 cost, 2 gunicorn workers) and ``bench.walk`` (2 web workers, SQLite) one after the other, ``--rounds`` times
interleaved, so both see the same machine; then prints the medians and their ratios against the targets::

    python -m bench.compare --rounds 3 --out bench/results/$(date -u +%Y%m%dT%H%MZ)-compare

Server CPU per operation is the steadiest figure (both drivers charge a phase the mail it caused: Kabinet's phases
end when its outbox is drained, the peer sends inside the request). Memory per worker is each server's largest
worker, sampled through the run.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from bench.walk import smaps

PEER_WORKERS = 2  # the peer's run.sh: gunicorn with two workers, as Kabinet's two
PEER = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "peers", "allauth")

# (label, Kabinet's figure, the peer's figure, target ratio or None)
ROWS = (
    ("server CPU per sign-in, ms", lambda k: k["signin"]["server_cpu_ms_per_signin"],
     lambda p: p["signin"]["server_cpu_ms_per_signin"], None),
    ("server CPU per full walk a–g, ms", lambda k: k["flow"]["server_cpu_ms_per_flow"],
     lambda p: p["flow"]["server_cpu_ms_per_flow"], 0.33),
    ("server CPU per contact cycle (outbox drained), ms", lambda k: k["cycle"]["server_cpu_ms_per_cycle"],
     lambda p: p["cycle"]["server_cpu_ms_per_cycle"], 0.33),
    ("server CPU per signed-in contact page (HTML), ms", lambda k: k["page"]["server_cpu_ms_per_read"],
     lambda p: p["reads"]["server_cpu_ms_per_page"], 0.15),
    ("server CPU per signed-in read (Kabinet's JSON), ms", lambda k: k["reads"]["server_cpu_ms_per_read"],
     lambda p: p["reads"]["server_cpu_ms_per_page"], 0.15),
    ("read p99, ms", lambda k: k["reads"]["latency"]["p99_ms"], lambda p: p["reads"]["latency"]["p99_ms"], 0.2),
    ("contact cycles per s", lambda k: k["cycle"]["per_s"], lambda p: p["cycle"]["per_s"], None),
    ("memory per worker: PSS of all the server's processes / workers, MB",
     lambda k: k["memory"]["pss_per_worker_mb"], lambda p: p["memory"]["pss_per_worker_mb"], 1.0),
    ("largest worker's RSS (shared pages counted in full), MB", lambda k: k["memory"]["largest_rss_mb"],
     lambda p: p["memory"]["largest_rss_mb"], None),
)


class MemoryWatch:
    """While it runs, every half second: each process matching ``needle`` — its largest RSS, and the largest sum of
    all their PSS at one moment (shared pages divided among the processes that share them: what a fleet pays)."""

    def __init__(self, needle: str) -> None:
        self.needle, self.peak, self.pss_sum, self._stop = needle, {}, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            pss = 0.0
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        if self.needle.encode() not in f.read():
                            continue
                    seen = smaps(int(pid))
                except (FileNotFoundError, ProcessLookupError):
                    continue
                self.peak[pid] = max(self.peak.get(pid, 0.0), seen["rss"])
                pss += seen["pss"]
            self.pss_sum = max(self.pss_sum, pss)


def run_peer(scratch: str) -> dict:
    env = {**os.environ, "RUNS": "1", "PEER_HASHER": "kabinet", "ARGON2": "0", "QUIET_MAX": "10"}
    with MemoryWatch("peer_site.wsgi") as watch:
        subprocess.run(["bash", os.path.join(scratch, "run.sh")], env=env, check=True, stdout=subprocess.DEVNULL)
    newest = max(glob.glob(os.path.join(scratch, "results", "*", "run1.json")), key=os.path.getmtime)
    with open(newest) as f:
        result = json.load(f)
    result["memory"] = {"largest_rss_mb": round(max(watch.peak.values()), 1),  # a worker: the master holds no app
                        "pss_per_worker_mb": round(watch.pss_sum / PEER_WORKERS, 1)}
    return result


def run_kabinet(out: str) -> dict:
    subprocess.run([sys.executable, "-m", "bench.walk", "--users", "3000", "--concurrency", "16", "--workers", "2",
                    "--read-clients", "16", "--json", out], check=True, stdout=subprocess.DEVNULL)  # the peer's load
    with open(out) as f:
        result = json.load(f)
    return result


def run_floor(page_bytes: int) -> dict:
    """The framework's floor for a page of this size (``bench.floor``): bare Starlette and FastAPI routes."""
    done = subprocess.run([sys.executable, "-m", "bench.floor", "--bytes", str(page_bytes), "--seconds", "4"],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def argon2_ms(repeats: int = 20) -> float:
    """CPU of one Argon2 verify at Kabinet's cost on this box: the sign-in target is this + 5 ms."""
    from kabinet.security.passwords import hash_password, verify_password

    hashed, times = hash_password("bench-password-1"), []
    for _ in range(repeats):
        started = time.process_time()
        verify_password(hashed, "bench-password-1")
        times.append(time.process_time() - started)
    return round(1000 * statistics.median(times), 1)


def table(kabinet: list[dict], peer: list[dict]) -> str:
    lines = ["| measure | Kabinet | allauth (Kabinet's Argon2) | Kabinet / allauth | target | met |",
             "|---|---|---|---|---|---|"]
    for label, of_k, of_p, target in ROWS:
        k, p = statistics.median(of_k(r) for r in kabinet), statistics.median(of_p(r) for r in peer)
        ratio = k / p if p else float("nan")
        met = "" if target is None else ("yes" if ratio <= target else "no")
        lines.append(f"| {label} | {k:g} | {p:g} | {ratio:.2f} | {'' if target is None else f'≤ {target:g}'} | {met} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    scratch = tempfile.mkdtemp(prefix="allauth-peer-copy.")
    shutil.copytree(PEER, scratch, dirs_exist_ok=True, ignore=shutil.ignore_patterns("results"))
    kabinet, peer = [], []
    try:
        for n in range(args.rounds):
            peer.append(run_peer(scratch))
            kabinet.append(run_kabinet(f"{args.out}-kabinet-{n + 1}.json"))
            kabinet[-1]["floor"] = run_floor(kabinet[-1]["page"]["bytes"] or 9000)
            print(f"round {n + 1}/{args.rounds}: cycle {kabinet[-1]['cycle']['server_cpu_ms_per_cycle']} ms vs "
                  f"{peer[-1]['cycle']['server_cpu_ms_per_cycle']} ms", flush=True)
            time.sleep(2)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    with open(f"{args.out}.json", "w") as f:
        json.dump({"kabinet": kabinet, "peer": peer}, f, indent=1)
    print(f"\nMedians of {args.rounds} interleaved rounds, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}:\n")
    print(table(kabinet, peer))
    argon2, signin = argon2_ms(), statistics.median(r["signin"]["server_cpu_ms_per_signin"] for r in kabinet)
    print(f"\nArgon2 verify at Kabinet's cost: {argon2} ms CPU; sign-in (password and an SMS code) {signin} ms: "
          f"{signin - argon2:.1f} ms beyond it (target ≤ 5: {'met' if signin - argon2 <= 5 else 'not met'}).")
    bare = statistics.median(r["floor"]["starlette"]["server_cpu_ms_per_answer"] for r in kabinet)
    routed = statistics.median(r["floor"]["fastapi"]["server_cpu_ms_per_answer"] for r in kabinet)
    page = statistics.median(r["page"]["server_cpu_ms_per_read"] for r in kabinet)
    print(f"The framework's floor for a page of that size: a bare Starlette route {bare} ms, a FastAPI route {routed} "
          f"ms of server CPU; Kabinet's page {page} ms: {page - routed:.2f} ms is Kabinet's own.")
    uss = statistics.median(r["memory"]["largest_uss_mb"] for r in kabinet)
    pss = statistics.median(r["memory"]["pss_per_worker_mb"] for r in kabinet)
    floors = {name: statistics.median(r["floor"][name]["pss_mb"] for r in kabinet)
              for name in ("starlette", "fastapi", "stack")}
    print(f"Kabinet's largest worker holds {uss} MB of its own (USS); each round's processes are in {args.out}.json.")
    print(f"Memory floor (PSS of one bare worker after the same load): Starlette {floors['starlette']} MB, FastAPI "
          f"{floors['fastapi']} MB, FastAPI with Kabinet's field libraries loaded and an Argon2 block held "
          f"{floors['stack']} MB; Kabinet {pss} MB a worker: {pss - floors['stack']:.1f} MB is Kabinet's own.")


if __name__ == "__main__":
    main()
