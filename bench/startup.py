"""Start-up time and idle memory of the all-plugins process (SPEC §5).

Starts `pos serve` with every installed plugin several times and prints the seconds until
`/health` answers and the resident memory after it has idled a few seconds. Runs embedded (SQLite,
in-process bus) and, with --postgres, against this machine's PostgreSQL and RabbitMQ.

    .venv/bin/python bench/startup.py [--runs 5] [--postgres]
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from broker import drop_exchange

POS = str(Path(sys.executable).with_name("pos"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_run(env: dict[str, str], cwd: str, idle: float) -> tuple[float, float]:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen([POS, "serve", "--port", str(port)], env=env, cwd=cwd,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"pos serve exited with {process.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.01)
        ready = time.perf_counter() - started
        time.sleep(idle)
        return ready, rss_mib(process.pid)
    finally:
        process.terminate()
        process.wait(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=5.0, help="seconds idle before reading RSS")
    parser.add_argument("--postgres", action="store_true",
                        help="also run on PostgreSQL + RabbitMQ (127.0.0.1)")
    args = parser.parse_args()

    setups = [("embedded (SQLite, memory://)", {})]
    if args.postgres:
        database = f"posmodern_bench_{uuid.uuid4().hex[:6]}"
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                        f"CREATE DATABASE {database}"], check=True)
        setups.append(("PostgreSQL + RabbitMQ", {
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1/{database}",
            "BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
            "POS_AUTO_MIGRATE": "true", "POS_BUS_EXCHANGE": f"bench.{database}"}))

    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    for name, extra in setups:
        with tempfile.TemporaryDirectory() as cwd:
            env = {**os.environ, "POS_LOG_LEVEL": "WARNING", **extra}
            env.pop("POS_PLUGINS", None)
            first = one_run(env, cwd, args.idle)  # creates and migrates the database
            runs = [one_run(env, cwd, args.idle) for _ in range(args.runs)]
        ready = [r for r, _ in runs]
        rss = [m for _, m in runs]
        print(f"{name}: first start {first[0]:.2f}s (creates the database); then "
              f"start-up median {statistics.median(ready):.2f}s (min {min(ready):.2f}, "
              f"max {max(ready):.2f}), idle RSS median {statistics.median(rss):.1f} MiB "
              f"over {args.runs} runs")
    if args.postgres:
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                        f"DROP DATABASE {database} WITH (FORCE)"], check=True)
        drop_exchange(f"bench.{database}")


if __name__ == "__main__":
    main()
