"""The framework's floor on this box: what one signed-in page would cost if Kabinet did nothing at all.

Serves one fixed HTML answer of a given size (Kabinet's contact page's, with its security headers) from a bare
Starlette route and from a bare FastAPI route, each on uvicorn as ``kabinet serve`` runs it (uvloop, httptools, no
access log, one worker), and reads it the way ``bench.walk`` reads the page (kept-alive raw HTTP/1.1, 16 clients);
prints the server's CPU per answer and its memory (PSS, USS) after the load. A third, ``stack``, is the
FastAPI route again in a process that has loaded the libraries a Kabinet web worker loads (SQLAlchemy and its
driver, Jinja2, Babel's two locales, Pydantic, argon2, phonenumbers…) and holds one Argon2 working block, as a
worker that has verified a password does — the memory floor of the stack Kabinet is built on, before any of its
own code. ``bench.compare`` runs it in every round, so a target the page or the memory misses can be set against
what the stack itself costs (issue 25)::

    python -m bench.floor --bytes 9000 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time

import uvloop

from bench.walk import RawGet, cpu_of_tree, smaps


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _drive(port: int, clients: int, seconds: float) -> int:
    done = [0]
    deadline = time.perf_counter() + seconds

    async def one() -> None:
        conn = RawGet(f"http://127.0.0.1:{port}", "/settings/contacts", {})
        await conn.open()
        try:
            while time.perf_counter() < deadline:
                status, _ = await conn.get()
                done[0] += status == 200
        finally:
            conn.close()

    await asyncio.gather(*(one() for _ in range(clients)))
    return done[0]


def measure(app: str, size: int, clients: int, seconds: float) -> dict:
    port = _free_port()
    target = f"bench.floor_apps:{app}"  # a module of its own: the server loads the app's imports and no more
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", target, "--port", str(port), "--no-access-log",
                               "--log-level", "warning", "--factory"],
                              env={**os.environ, "FLOOR_BYTES": str(size)})
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        uvloop.run(_drive(port, clients, 1.0))  # warm
        before = cpu_of_tree(server.pid)
        answered = uvloop.run(_drive(port, clients, seconds))
        cpu = cpu_of_tree(server.pid) - before
        memory = smaps(server.pid)
    finally:
        server.terminate()
        server.wait(10)
    return {"answers": answered, "server_cpu_ms_per_answer": round(1000 * cpu / max(answered, 1), 3),
            "pss_mb": memory["pss"], "uss_mb": memory["uss"], "rss_mb": memory["rss"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bytes", type=int, default=9000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=5)
    args = ap.parse_args()
    print(json.dumps({"bytes": args.bytes, "starlette": measure("starlette", args.bytes, args.clients,
                                                                 args.seconds),
                      "fastapi": measure("fastapi", args.bytes, args.clients, args.seconds),
                      "stack": measure("stack", args.bytes, args.clients, args.seconds)}))


if __name__ == "__main__":
    main()
