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
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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
    ap.add_argument("--avn", default=os.path.join(ROOT, "target", "release", "avn"))
    a = ap.parse_args()
    if not os.path.exists(a.avn):
        subprocess.check_call(["cargo", "build", "--release", "--quiet"], cwd=ROOT)
    tmp = tempfile.mkdtemp(prefix="avn-bench-", dir="/var/tmp")
    os.chmod(tmp, 0o755)
    data = os.path.join(tmp, "data")
    log = open(os.path.join(tmp, "server.log"), "w")
    server = subprocess.Popen([a.avn, "local", "serve", "--listen", "127.0.0.1:0", "--data-dir", data],
                              stdout=log, stderr=log)
    try:
        while not os.path.exists(os.path.join(data, "server.json")):
            time.sleep(0.05)
        info = json.load(open(os.path.join(data, "server.json")))
        token = open(os.path.join(data, "token")).read().strip()
        env = dict(os.environ, AIVEN_WEB_URL=info["url"], AIVEN_AUTH_TOKEN=token, AIVEN_PROJECT="bench",
                   AIVEN_CONFIG_DIR=os.path.join(tmp, "cfg"))
        req = urllib.request.Request(info["url"] + "/v1/project", data=b'{"project": "bench"}', method="POST",
                                     headers={"authorization": f"aivenv1 {token}", "content-type": "application/json"})
        urllib.request.urlopen(req).read()

        def avn(*args, capture=False):
            return subprocess.run([a.avn, *args], env=env, check=True, text=True, stderr=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE if capture else subprocess.DEVNULL)

        avn("service", "create", "src", "-t", "pg", "-p", "startup-4", "--wait")
        while not json.loads(avn("service", "backup-list", "src", "--json", capture=True).stdout):
            time.sleep(0.5)
        svc = json.loads(avn("service", "get", "src", "--json", "--show-secrets", capture=True).stdout)
        print(f"loading pgbench scale {a.scale} after the first base backup...", file=sys.stderr)
        subprocess.run(["pgbench", "-i", "-q", "-s", str(a.scale), svc["service_uri"]], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = info["url"] + "/v1/project/bench/service"

        idle, stop = [], threading.Event()
        t = threading.Thread(target=poll, args=(url, token, stop, idle))
        t.start()
        time.sleep(3)
        stop.set()
        t.join()

        forking, stop = [], threading.Event()
        t = threading.Thread(target=poll, args=(url, token, stop, forking))
        t.start()
        t0 = time.perf_counter()
        avn("service", "fork", "src", "copy", "--timeout", "30m")
        took = time.perf_counter() - t0
        stop.set()
        t.join()

        fork = json.loads(avn("service", "get", "copy", "--json", "--show-secrets", capture=True).stdout)
        rows = subprocess.check_output(["psql", fork["service_uri"], "-Atc", "select count(*) from pgbench_accounts"],
                                       text=True).strip()
        assert int(rows) == a.scale * 100000, rows
        print(f"fork of pgbench scale {a.scale} ({int(rows):,} rows, checked) took {took:.1f} s")
        slow_idle = summary("idle", idle)
        slow_fork = summary("forking", forking)
        print(f"slowest forking / slowest idle: {slow_fork / slow_idle:.1f}x; "
              f"goal slowest while forking < 200 ms: {'met' if slow_fork < 0.2 else 'NOT met'}")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(os.path.realpath(os.path.join(data, "instances")), ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
