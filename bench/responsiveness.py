#!/usr/bin/env python3
"""Does `avn local` keep answering while it forks a ~1 GB database?

Starts a local control plane in a temporary directory, creates a startup-4 PostgreSQL service and
loads it with `pgbench -i -s 70` (about 1 GB) after its first base backup, so that a fork both
copies the base backup and replays the load from the WAL archive. Then, in one run:
  - idle: GET /v1/project/bench/service every 20 ms for 3 s, with nothing else going on;
  - forking: the same while `avn service fork src copy` copies and replays, until the fork is RUNNING;
and prints the median, 99th percentile and slowest answer of each, and the ratio of the slowest.
Goal (issue 10): the slowest answer while forking under 200 ms.

Usage: bench/responsiveness.py [--scale 70] [--avn target/release/avn]
"""
import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

from local_plane import RELEASE, local_plane


def poll(url, token, stop, out):
    """GET `url` every 20 ms until `stop` is set; append each answer's latency (seconds)."""
    req = urllib.request.Request(url, headers={"authorization": f"aivenv1 {token}"})
    while not stop.is_set():
        t0 = time.perf_counter()
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
        out.append(time.perf_counter() - t0)
        time.sleep(0.02)


def summary(name, xs):
    xs = sorted(xs)
    p99 = xs[min(len(xs) - 1, int(len(xs) * 0.99))]
    print(f"{name:<10} {len(xs):>5} answers  median {statistics.median(xs) * 1000:7.1f} ms  "
          f"p99 {p99 * 1000:7.1f} ms  slowest {xs[-1] * 1000:7.1f} ms")
    return xs[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=70)
    ap.add_argument("--avn", default=RELEASE)
    a = ap.parse_args()
    with local_plane(a.avn) as p:
        p.avn("service", "create", "src", "-t", "pg", "-p", "startup-4", "--wait")
        while not json.loads(p.avn("service", "backup-list", "src", "--json", capture=True).stdout):
            time.sleep(0.5)
        print(f"loading pgbench scale {a.scale} after the first base backup...", file=sys.stderr)
        subprocess.run(["pgbench", "-i", "-q", "-s", str(a.scale), p.service("src")["service_uri"]], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = p.url + "/v1/project/bench/service"

        idle, stop = [], threading.Event()
        t = threading.Thread(target=poll, args=(url, p.token, stop, idle))
        t.start()
        time.sleep(3)
        stop.set()
        t.join()

        forking, stop = [], threading.Event()
        t = threading.Thread(target=poll, args=(url, p.token, stop, forking))
        t.start()
        t0 = time.perf_counter()
        p.avn("service", "fork", "src", "copy", "--timeout", "30m")
        took = time.perf_counter() - t0
        stop.set()
        t.join()

        rows = subprocess.check_output(["psql", p.service("copy")["service_uri"], "-Atc",
                                        "select count(*) from pgbench_accounts"], text=True).strip()
        assert int(rows) == a.scale * 100000, rows
        print(f"fork of pgbench scale {a.scale} ({int(rows):,} rows, checked) took {took:.1f} s")
        slow_idle = summary("idle", idle)
        slow_fork = summary("forking", forking)
        print(f"slowest forking / slowest idle: {slow_fork / slow_idle:.1f}x; "
              f"goal slowest while forking < 200 ms: {'met' if slow_fork < 0.2 else 'NOT met'}")


if __name__ == "__main__":
    main()
