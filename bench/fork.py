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
import subprocess
import sys
import time

from local_plane import RELEASE, local_plane


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=70)
    ap.add_argument("--avn", default=RELEASE)
    a = ap.parse_args()
    with local_plane(a.avn, serve_args=("--backup-interval", "3s")) as p:
        p.avn("service", "create", "src", "-t", "pg", "-p", "startup-4", "--wait")
        print(f"loading pgbench scale {a.scale}...", file=sys.stderr)
        subprocess.run(["pgbench", "-i", "-q", "-s", str(a.scale), p.service("src")["service_uri"]], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        loaded = time.time()
        # Wait for a base backup that started after the load (as a scheduled backup would be).
        while True:
            backups = json.loads(p.avn("service", "backup-list", "src", "--json", capture=True).stdout)
            times = [b["backup_time"] for b in backups]
            newest = max(times) if times else ""
            if newest and time.mktime(time.strptime(newest[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone > loaded + 3:
                break
            time.sleep(0.5)
        inst = os.path.realpath(os.path.join(p.data, "instances"))
        src_dir = [d for d in os.listdir(inst) if d.startswith("src-")][0]
        src_data = os.path.join(inst, src_dir, "data")
        size = int(subprocess.check_output(["du", "-sb", src_data]).split()[0])

        subprocess.run(["sync"])
        t0 = time.perf_counter()
        p.avn("service", "create", "fork", "-t", "pg", "-p", "startup-4", "-c", "service_to_fork_from=src", "--wait")
        t_fork = time.perf_counter() - t0

        subprocess.run(["sync"])
        dst = os.path.join(p.tmp, "copy")
        t0 = time.perf_counter()
        subprocess.run(["cp", "-a", src_data, dst], check=True)
        t_cp = time.perf_counter() - t0

        rows = subprocess.check_output(["psql", p.service("fork")["service_uri"], "-Atc",
                                        "select count(*) from pgbench_accounts"], text=True).strip()
        assert int(rows) == a.scale * 100000, rows
        ratio = t_fork / t_cp
        print(f"data directory: {size / 1e9:.2f} GB; fork holds {int(rows):,} pgbench_accounts rows")
        print(f"{'cp -a data dir':<22} {t_cp:>7.2f} s")
        print(f"{'avn fork (to RUNNING)':<22} {t_fork:>7.2f} s")
        print(f"ratio fork / copy: {ratio:.2f}x (goal <= 1.5x: {'met' if ratio <= 1.5 else 'NOT met'})")


if __name__ == "__main__":
    main()
