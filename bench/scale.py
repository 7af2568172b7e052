"""Does a step cost the same with 10⁴ and 10⁶ citizens? (issue 12, on PostgreSQL, the production store.)

For each size the store is grown with ``bench.population`` (COPY), then ``bench.walk`` runs every phase against it
with ``--workers`` web processes and a separate ``kabinet worker``, on citizens spread over the whole population
and never reused between sizes. After the largest size a short extra run records the plan of every statement the
flows send (PostgreSQL's auto_explain, with real row counts and buffers) and flags any sequential scan of a table
that grows with the population. One command::

    python -m bench.scale --database-url postgresql+psycopg://postgres@127.0.0.1:5432/kabinet_scale \\
        --sizes 10000,100000,1000000 --out bench/results/$(date -u +%Y%m%dT%H%MZ)-scale

writes ``<out>.json`` (every run) and ``<out>-explain.md`` (the plans), and prints the table of step latencies.
The database named in the URL is dropped and made afresh (it must be a scratch database).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections import Counter
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text

# Tables whose size follows the population or the traffic: a sequential scan of one is a cost that grows with it.
GROWING = ("account", "contact", "event", "outbox", "session", "challenge", "oidc_token", "trusted_link", "recovery")
PG_LOG = "/var/log/postgresql/postgresql-15-main.log"
# Flagged from this many rows: the traffic tables (challenge, session) hold only the bench's own few thousand rows,
# and a scan of challenge at 5,382 rows went unflagged at 10,000 (issue 12; migration 0010 indexes it now).
BIG = 500


def admin_url(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(path="/postgres").geturl()


def recreate(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        sys.exit(f"not a plain database name: {name}")
    engine = create_engine(admin_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()


def explain_settings(url: str, on: bool) -> None:
    """auto_explain for new connections to this database only (the servers started after this see it)."""
    name = urlsplit(url).path.lstrip("/")
    engine = create_engine(admin_url(url), isolation_level="AUTOCOMMIT")
    settings = {"session_preload_libraries": "auto_explain", "auto_explain.log_min_duration": "0",
                "auto_explain.log_analyze": "on", "auto_explain.log_buffers": "on", "auto_explain.log_timing": "off",
                "auto_explain.log_nested_statements": "on"}
    with engine.connect() as conn:
        for key, value in settings.items():
            conn.execute(text(f"ALTER DATABASE {name} SET {key} = '{value}'" if on
                              else f"ALTER DATABASE {name} RESET {key}"))
    engine.dispose()


def walk(args, size: int, round_: int, out: str, extra: list[str] | None = None) -> dict:
    subprocess.run([sys.executable, "-m", "bench.walk", "--database-url", args.database_url, "--population",
                    str(size), "--round", str(round_), "--users", str(args.users), "--workers", str(args.workers),
                    "--outbox", "worker", "--concurrency", str(args.concurrency), "--json", out, *(extra or [])],
                   check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        return json.load(f)


# A plan in PostgreSQL's log: "Query Text: …" (its lines, and the plan's, continue with a tab), then the plan from
# its first node, the first line with a cost; it ends where the next log line begins (no tab).
PLAN = re.compile(r"LOG:  duration: [\d.]+ ms  plan:\n\s*Query Text: (?P<query>[\s\S]*?)\n"
                  r"(?P<plan>\t[^\n]*\(cost=[^\n]*\n(?:\t[^\n]*\n?)*)")


def plans(log_text: str) -> dict[str, tuple[int, str]]:
    """Each distinct statement (psycopg sends parameters apart, so the text is already normalised) with how often it
    ran and one of its plans."""
    seen: dict[str, tuple[int, str]] = {}
    for match in PLAN.finditer(log_text):
        query = " ".join(match["query"].split())  # one line: the log's tabs and breaks say nothing
        if query.startswith(("BEGIN", "COMMIT", "ROLLBACK", "SELECT pg_", "select pg_", "LISTEN", "NOTIFY")):
            continue
        count, plan = seen.get(query, (0, match["plan"]))
        seen[query] = (count + 1, plan)
    return seen


def seq_scans(plan: str, rows: dict[str, int]) -> list[str]:
    """Sequential scans of tables that grow with the population and have grown (on a table of a few rows the
    planner rightly prefers one; the same statement on a full table uses its index)."""
    return [t for t in re.findall(r"Seq Scan on (\w+)", plan) if t in GROWING and rows.get(t, 0) >= BIG]


def table_rows(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = dict(conn.execute(text("SELECT relname, n_live_tup FROM pg_stat_user_tables")).all())
    engine.dispose()
    return found


def table(runs: list[dict]) -> str:
    steps = ("sign_in", "contacts", "add_email", "confirm", "make_primary", "remove_old", "sign_out")
    lines = ["| citizens | " + " | ".join(steps) + " | reads p50 | web+worker CPU / cycle | database CPU / cycle |",
             "|---" * (len(steps) + 4) + "|"]
    for run in runs:
        flow, cycle = run["result"]["flow"], run["result"]["cycle"]
        cells = [str(flow["steps"][s]["p50_ms"]) for s in steps]
        cpu = cycle["cpu"]
        lines.append(f"| {run['size']:,} | " + " | ".join(cells) + f" | {run['result']['reads']['latency']['p50_ms']}"
                     f" | {cycle['server_cpu_ms_per_cycle']} ms | "
                     f"{round(1000 * cpu.get('database_cpu_s', 0) / max(cycle['completed'], 1), 1)} ms |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--pg-log", default=PG_LOG, help="PostgreSQL's log file (auto_explain writes the plans there)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.environ.setdefault("KABINET_SECRET_KEY", "5c" * 32)  # the population's history is keyed with it
    sizes = [int(s) for s in args.sizes.split(",")]
    recreate(args.database_url)
    runs = []
    for round_, size in enumerate(sizes):
        subprocess.run([sys.executable, "-m", "bench.population", "--database-url", args.database_url, str(size)],
                       check=True)
        runs.append({"size": size, "result": walk(args, size, round_, f"{args.out}-{size}.json")})
        print(table(runs), flush=True)
    with open(f"{args.out}.json", "w") as f:
        json.dump(runs, f, indent=1)

    explain_settings(args.database_url, True)
    start = os.path.getsize(args.pg_log)
    try:
        walk(args, sizes[-1], len(sizes), f"{args.out}-explained.json",
             ["--signin-seconds", "2", "--flow-seconds", "3", "--cycle-seconds", "3", "--read-seconds", "1"])
    finally:
        explain_settings(args.database_url, False)
    with open(args.pg_log, errors="replace") as f:
        f.seek(start)
        flagged = write_explain(f.read(), table_rows(args.database_url), f"{args.out}-explain.md", sizes[-1])
    print(f"\nsequential scans of growing tables: {dict(flagged) or 'none'}")
    print(table(runs))


def write_explain(log_text: str, rows: dict[str, int], path: str, size: int) -> Counter:
    """The plans found in a stretch of PostgreSQL's log, as Markdown; the sequential scans of growing tables."""
    found, flagged = plans(log_text), Counter()
    with open(path, "w") as doc:
        doc.write(f"# Every statement of the bench's flows at {size:,} citizens, with its plan\n\n"
                  "PostgreSQL auto_explain (ANALYZE, BUFFERS) during a short run of every phase; most frequent "
                  "first. Rows per table then: " + ", ".join(f"{t} {rows.get(t, 0):,}" for t in GROWING) + "\n\n")
        for query, (count, plan) in sorted(found.items(), key=lambda kv: -kv[1][0]):
            scans = seq_scans(plan, rows)
            flagged.update(scans)
            doc.write(f"## {count}× {'— SEQ SCAN of ' + ', '.join(scans) if scans else ''}\n\n```sql\n{query}\n```\n"
                      f"```\n{plan.replace(chr(9), '')}```\n\n")
    return flagged


if __name__ == "__main__":
    main()
