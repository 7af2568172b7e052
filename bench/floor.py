"""The framework's floor on this box: what one signed-in page would cost if Kabinet did nothing at all.

Serves one fixed HTML answer of a given size (Kabinet's contact page's, with its security headers) from a bare
Starlette route and from a bare FastAPI route, each on uvicorn as ``kabinet serve`` runs it (uvloop, httptools, no
access log, one worker), and reads it the way ``bench.walk`` reads the page (kept-alive raw HTTP/1.1, 16 clients);
prints the server's CPU per answer. ``bench.compare`` runs it in every round, so a target the page misses can be
set against what the stack itself costs (issue 25)::

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
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from bench.walk import RawGet, cpu_of_tree

HEADERS = {"content-security-policy": "default-src 'self'", "x-content-type-options": "nosniff",
           "referrer-policy": "same-origin", "x-frame-options": "DENY", "cache-control": "no-store"}
BODY = ("<!doctype html><p>" + "x" * max(0, int(os.environ.get("FLOOR_BYTES", "9000")) - 18)).encode()


async def _page(_request: Request) -> HTMLResponse:
    return HTMLResponse(BODY, headers=HEADERS)


starlette_app = Starlette(routes=[Route("/settings/contacts", _page)])
fastapi_app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
fastapi_app.add_api_route("/settings/contacts", _page, response_class=HTMLResponse)


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
    target = app if ":" in app else f"bench.floor:{app}"
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", target, "--port", str(port), "--no-access-log",
                               "--log-level", "warning"], env={**os.environ, "FLOOR_BYTES": str(size)})
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
    finally:
        server.terminate()
        server.wait(10)
    return {"answers": answered, "server_cpu_ms_per_answer": round(1000 * cpu / max(answered, 1), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bytes", type=int, default=9000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=5)
    args = ap.parse_args()
    print(json.dumps({"bytes": args.bytes, "starlette": measure("starlette_app", args.bytes, args.clients,
                                                                 args.seconds),
                      "fastapi": measure("fastapi_app", args.bytes, args.clients, args.seconds)}))


if __name__ == "__main__":
    main()
