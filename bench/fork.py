#!/usr/bin/env python3
"""Fork of a ~1 GB database on `avn local` against `cp -a` of the same data directory.

Starts a local control plane in a temporary directory, creates a startup-4 PostgreSQL service,
loads it with `pgbench -i -s 70` (about 1 GB), waits for a base backup taken after the load
(the scheduler runs every few seconds here), then times, in one run:
  - `avn service create fork ... -c service_to_fork_from=src --wait` (request until RUNNING), and
  - `cp -a` of the source's live data directory (the copy floor),
and prints both and their ratio. Goal (issue 3): the fork within 1.5x of the copy.

Usage: bench/fork.py [--scale 70]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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
    server = subprocess.Popen([a.avn, "local", "serve", "--listen", "127.0.0.1:0", "--data-dir", data,
                               "--backup-interval", "3s"], stdout=log, stderr=log)
    try:
        while not os.path.exists(os.path.join(data, "server.json")):
            time.sleep(0.05)
        info = json.load(open(os.path.join(data, "server.json")))
        token = open(os.path.join(data, "token")).read().strip()
        env = dict(os.environ, AIVEN_WEB_URL=info["url"], AIVEN_AUTH_TOKEN=token, AIVEN_PROJECT="bench",
                   AIVEN_CONFIG_DIR=os.path.join(tmp, "cfg"))
        subprocess.run(["curl", "-s", "-XPOST", "-H", f"authorization: aivenv1 {token}", info["url"] + "/v1/project",
                        "-d", '{"project": "bench"}'], check=True, stdout=subprocess.DEVNULL)

        def avn(*args, capture=False):
            return subprocess.run([a.avn, *args], env=env, check=True, text=True,
                                  stdout=subprocess.PIPE if capture else subprocess.DEVNULL)

        avn("service", "create", "src", "-t", "pg", "-p", "startup-4", "--wait")
        svc = json.loads(avn("service", "get", "src", "--json", "--show-secrets", capture=True).stdout)
        print(f"loading pgbench scale {a.scale}...", file=sys.stderr)
        subprocess.run(["pgbench", "-i", "-q", "-s", str(a.scale), svc["service_uri"]], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        loaded = time.time()
        # Wait for a base backup that started after the load (as a scheduled backup would be).
        while True:
            backups = json.loads(avn("service", "backup-list", "src", "--json", capture=True).stdout)
            times = [b["backup_time"] for b in backups]
            newest = max(times) if times else ""
            if newest and time.mktime(time.strptime(newest[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone > loaded + 3:
                break
            time.sleep(0.5)
        inst = os.path.realpath(os.path.join(data, "instances"))
        src_dir = [d for d in os.listdir(inst) if d.startswith("src-")][0]
        src_data = os.path.join(inst, src_dir, "data")
        size = int(subprocess.check_output(["du", "-sb", src_data]).split()[0])

        subprocess.run(["sync"])
        t0 = time.perf_counter()
        avn("service", "create", "fork", "-t", "pg", "-p", "startup-4", "-c", "service_to_fork_from=src", "--wait")
        t_fork = time.perf_counter() - t0

        subprocess.run(["sync"])
        dst = os.path.join(tmp, "copy")
        t0 = time.perf_counter()
        subprocess.run(["cp", "-a", src_data, dst], check=True)
        t_cp = time.perf_counter() - t0

        fork = json.loads(avn("service", "get", "fork", "--json", "--show-secrets", capture=True).stdout)
        rows = subprocess.check_output(["psql", fork["service_uri"], "-Atc", "select count(*) from pgbench_accounts"], text=True).strip()
        assert int(rows) == a.scale * 100000, rows
        ratio = t_fork / t_cp
        print(f"data directory: {size / 1e9:.2f} GB; fork holds {int(rows):,} pgbench_accounts rows")
        print(f"{'cp -a data dir':<22} {t_cp:>7.2f} s")
        print(f"{'avn fork (to RUNNING)':<22} {t_fork:>7.2f} s")
        print(f"ratio fork / copy: {ratio:.2f}x (goal <= 1.5x: {'met' if ratio <= 1.5 else 'NOT met'})")
    finally:
        server.terminate()
        server.wait()
        inst = os.path.realpath(os.path.join(data, "instances"))
        shutil.rmtree(inst, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
