#!/usr/bin/env python3
"""Point-in-time forks to an instant shortly after a bulk load, in a loop (issue 18, item 8: one
in about thirty such forks once failed, and its message was lost).

Each round: a bulk load into the source (a new table of ROWS rows), a pause, the instant noted, a
few more rows, then `avn service fork SRC --pitr INSTANT`, and the fork's row counts checked
against what was committed by the instant. Base backups are triggered by WAL (every
--backup-wal-mb MiB), so a backup and the compression of older WAL are often in flight when the
fork starts. Every failure is printed whole: the command's stderr and the control plane's log
around it. Prints one line per round and a summary; exits 1 if any round failed.

    bench/pitr_loop.py --rounds 30 [--rows 300000] [--pause 2] [--avn target/debug/avn]
"""
import argparse
import datetime
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from local_plane import RELEASE, local_plane  # noqa: E402


def psql(uri, sql):
    uri = uri.replace("sslmode=require", "sslmode=disable")
    out = subprocess.run(["psql", uri, "-XAtq", "-c", sql], check=True, text=True, capture_output=True)
    return out.stdout.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--rows", type=int, default=300000, help="rows per bulk load (about 60 bytes each)")
    ap.add_argument("--pause", type=float, default=2.0, help="seconds from the end of the load to the instant")
    ap.add_argument("--backup-wal-mb", default="32")
    ap.add_argument("--avn", default=RELEASE)
    a = ap.parse_args()
    os.environ["AVN_LOCAL_BACKUP_WAL_MB"] = a.backup_wal_mb
    failures = 0
    with local_plane(avn=a.avn, serve_args=("--backup-interval", "1h")) as p:
        p.avn("service", "create", "src", "-t", "pg", "-p", "business-4", "--wait", "--timeout", "300")
        uri = p.service("src")["service_uri"]
        psql(uri, "CREATE TABLE marks (round int, n int)")
        for r in range(1, a.rounds + 1):
            t0 = time.time()
            psql(uri, f"CREATE TABLE load_{r} AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, {a.rows}) g")
            psql(uri, f"INSERT INTO marks VALUES ({r}, 1)")
            time.sleep(a.pause)
            instant = datetime.datetime.now(datetime.timezone.utc).isoformat()
            time.sleep(0.3)
            psql(uri, f"INSERT INTO marks VALUES ({r}, 2)")
            name = f"f{r}"
            t1 = time.time()
            out = subprocess.run([p.avn_bin, "service", "fork", "src", name, "--pitr", instant, "--timeout", "600"],
                                 env=p.env, text=True, capture_output=True)
            took = time.time() - t1
            ok = out.returncode == 0
            detail = ""
            if ok:
                furi = p.service(name)["service_uri"]
                got = psql(furi, f"SELECT count(*) FROM load_{r}") + "/" + psql(
                    furi, f"SELECT count(*) FROM marks WHERE round = {r}")
                ok = got == f"{a.rows}/1"
                detail = f"rows {got}"
                p.avn("service", "terminate", name, "--force")
            if not ok:
                failures += 1
                log = open(os.path.join(p.tmp, "server.log")).read().splitlines()
                print(f"round {r}: FAILED (exit {out.returncode}, {detail})\n--- stderr:\n{out.stderr}"
                      f"--- server log (last 40 lines):\n" + "\n".join(log[-40:]), flush=True)
            else:
                print(f"round {r}: ok, load+pause {t1 - t0:.1f} s, fork {took:.1f} s, {detail}", flush=True)
            psql(uri, f"DROP TABLE load_{r}")
    print(f"{a.rounds - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
