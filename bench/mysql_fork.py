#!/usr/bin/env python3
"""MySQL forks on `avn local` (MariaDB 10.11), in the cases users meet, each against the bare
MariaDB tools doing the same work on the same data in the same run.

One local control plane with a startup-4 MySQL service `src`. Loaded with --rows rows of 200
bytes in 50,000-row statements (instant T1), then --small single-row transactions, each one
commit as an application writes (instant T2), then:

  P1 point-in-time fork to T1, whose last base backup is from before the load: the whole bulk
     load's binary log is replayed.
  P2 point-in-time fork to T2: the bulk load and every single-row transaction are replayed.
     For both, the bare path is `mariadb-binlog | mariadb` of the same binary logs into a copy of
     that base backup started with the same relaxed durability (the replay path of
     local-mysql.md §5), timed alone. The fork's own replay is timed by avn local (its log's
     "binary log replayed" line), and the whole fork from the request until it accepts a TLS
     login. Issue 21's goal: the replay at least 10x faster than the bare pipe.
  L  fork to the latest transaction. Bare path: `mariadb-backup --backup` then `--prepare` of the
     running source into a new directory, and a `mariadbd` started on it until it answers.
  F  fork of a fork (of L's, to its latest transaction).

Each fork's row counts are checked. Prints every figure and each ratio to its bare path.

Usage: bench/mysql_fork.py [--rows 300000] [--avn target/release/avn]
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import time

from local_plane import RELEASE, local_plane


def mysql(p, name, sql):
    s = p.service(name)["service_uri_params"]
    ca = os.path.join(p.data, "ca", "ca.crt")
    env = dict(os.environ, MYSQL_PWD=s["password"])
    return subprocess.check_output(
        ["mariadb", "--no-defaults", "-h127.0.0.1", f"-P{s['port']}", f"-u{s['user']}", f"--ssl-ca={ca}",
         "--ssl-verify-server-cert", "-N", "-B", "defaultdb", "-e", sql], env=env, text=True).strip()


def instance(p, name):
    inst = os.path.realpath(os.path.join(p.data, "instances"))
    return os.path.join(inst, [d for d in os.listdir(inst) if d.startswith(name + "-")][0])


def utc_now():
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".%06dZ" % (time.time() % 1 * 1e6)


def fork(p, *args):
    subprocess.run(["sync"])
    t0 = time.perf_counter()
    p.avn("service", "fork", *args, "--timeout", "30m")
    return time.perf_counter() - t0


def start_bare(datadir, run, port, relaxed):
    """mariadbd on `datadir` until it answers on its socket; returns the process."""
    subprocess.run(["chown", "-R", "mysql:mysql", datadir, run])
    args = ["/usr/sbin/mariadbd", "--no-defaults", "--user=mysql", f"--datadir={datadir}", f"--port={port}",
            "--bind-address=127.0.0.1", f"--socket={run}/sock", f"--pid-file={run}/pid",
            f"--log-error={run}/err.log", "--skip-log-bin", f"--tmpdir={run}"]
    if relaxed:
        args += ["--innodb-flush-log-at-trx-commit=0", "--sync-binlog=0", "--max-allowed-packet=1G"]
    srv = subprocess.Popen(args)
    while subprocess.run(["mariadb-admin", "--no-defaults", f"--socket={run}/sock", "-uroot", "ping"],
                         capture_output=True).returncode != 0:
        if srv.poll() is not None:
            raise RuntimeError(open(f"{run}/err.log").read()[-2000:])
        time.sleep(0.05)
    return srv


def bare_latest(p, src, work):
    """mariadb-backup of the running source, prepare, start: the tools' own time."""
    target, run = os.path.join(work, "bare-latest"), os.path.join(work, "bare-latest-run")
    os.makedirs(run)
    sock = os.path.join(src, "run", "mysqld.sock")
    t0 = time.perf_counter()
    subprocess.run(["mariadb-backup", "--no-defaults", "--backup", f"--socket={sock}", "--user=root",
                    f"--datadir={src}/data", f"--target-dir={target}"], check=True, capture_output=True)
    subprocess.run(["mariadb-backup", "--no-defaults", "--prepare", f"--target-dir={target}"], check=True,
                   capture_output=True)
    srv = start_bare(target, run, 33391, False)
    t = time.perf_counter() - t0
    srv.terminate()
    srv.wait()
    shutil.rmtree(target)
    shutil.rmtree(run)
    return t


def archived_from(src, backup_dir):
    """The archived binary logs from the base backup's position on: (files, that position, bytes)."""
    label = json.load(open(os.path.join(backup_dir, "backup_label")))
    files = sorted(f for f in glob.glob(os.path.join(src, "archive", "binlog.[0-9]*"))
                   if os.path.basename(f) >= label["binlog_file"] and not f.endswith(".clock"))
    size = sum(os.path.getsize(f) for f in files) - label["binlog_pos"]
    return files, label["binlog_pos"], size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=300000)
    ap.add_argument("--small", type=int, default=5000, help="single-row transactions after the bulk rows")
    ap.add_argument("--avn", default=RELEASE)
    a = ap.parse_args()
    # No base backup on binary log volume during the run: P1 and P2 replay the whole load.
    os.environ["AVN_LOCAL_BACKUP_WAL_MB"] = "1000000"
    with local_plane(a.avn, serve_args=["--backup-interval", "1h"]) as p:
        p.avn("service", "create", "src", "-t", "mysql", "-p", "startup-4", "--wait")
        while not json.loads(p.avn("service", "backup-list", "src", "--json", capture=True).stdout):
            time.sleep(0.2)
        src = instance(p, "src")
        mysql(p, "src", "CREATE TABLE t (id INT PRIMARY KEY, pad VARCHAR(200) NOT NULL)")
        mysql(p, "src", "CREATE TABLE small (id INT PRIMARY KEY, v INT NOT NULL)")
        t0 = time.perf_counter()
        step = 50000
        for lo in range(1, a.rows + 1, step):
            hi = min(lo + step - 1, a.rows)
            mysql(p, "src", f"INSERT INTO t SELECT seq, REPEAT('x', 200) FROM seq_{lo}_to_{hi}")
        time.sleep(1.0)
        t1 = utc_now()
        time.sleep(1.0)
        # And many small transactions, as an application writes (the slow case of replay).
        stmts = "".join(f"INSERT INTO small VALUES ({i}, {i});\n" for i in range(a.small))
        s = p.service("src")["service_uri_params"]
        subprocess.run(["mariadb", "--no-defaults", "-h127.0.0.1", f"-P{s['port']}", f"-u{s['user']}",
                        f"--ssl-ca={os.path.join(p.data, 'ca', 'ca.crt')}", "defaultdb"], input=stmts, text=True,
                       env=dict(os.environ, MYSQL_PWD=s["password"]), check=True)
        load = time.perf_counter() - t0
        data_mb = int(subprocess.check_output(["du", "-sm", os.path.join(src, "data")]).split()[0])
        print(f"loaded {a.rows} rows in bulk and {a.small} single-row transactions in {load:.1f} s; data directory {data_mb} MB")
        time.sleep(1.0)
        t2 = utc_now()
        time.sleep(1.0)
        mysql(p, "src", "INSERT INTO t VALUES (0, 'after the target')")
        work = os.path.join(p.tmp, "bare")
        os.makedirs(work)
        # The bare replay's starting point: the base backup, restored by a fork to its instant
        # (powered off, then copied for each bare run).
        first_backup_time = json.loads(p.avn("service", "backup-list", "src", "--json", capture=True).stdout)[0]["backup_time"]
        fork(p, "src", "at-backup", "--pitr", first_backup_time)
        base = instance(p, "at-backup")
        p.avn("service", "update", "at-backup", "--power-off")
        backups = sorted(glob.glob(os.path.join(src, "base", "backup-*")))
        files, pos, _ = archived_from(src, backups[0])

        cases = []
        for case, target, want_small in (("P1", t1, 0), ("P2", t2, a.small)):
            t_fork = fork(p, "src", case.lower(), "--pitr", target)
            assert mysql(p, case.lower(), "SELECT count(*) FROM t") == str(a.rows), case
            got = mysql(p, case.lower(), "SELECT count(*) FROM small")
            if got != str(want_small):
                svc = p.service(case.lower())
                log = open(os.path.join(p.tmp, "server.log")).read().splitlines()
                raise AssertionError(f"{case}: small holds {got}, not {want_small}; notifications "
                                     f"{svc.get('service_notifications')}; log:\n" + "\n".join(
                                         l for l in log if "cut" in l or "replayed" in l or "restored" in l))
            replayed_bytes, replay_s = replayed(p)
            # The bare pipe, cut where the fork was cut: at the target's second.
            copy, run = os.path.join(work, case + "-data"), os.path.join(work, case + "-run")
            subprocess.run(["cp", "-a", os.path.join(base, "data"), copy], check=True)
            os.makedirs(run)
            srv = start_bare(copy, run, 33392, True)
            stop = target[:19].replace("T", " ")
            t0 = time.perf_counter()
            reader = subprocess.Popen(["mariadb-binlog", "--no-defaults", f"--start-position={pos}",
                                       f"--stop-datetime={stop}", *files],
                                      stdout=subprocess.PIPE, env=dict(os.environ, TZ="UTC"))
            subprocess.run(["mariadb", "--no-defaults", f"--socket={run}/sock", "-uroot", "--binary-mode",
                            "--max-allowed-packet=1G"], stdin=reader.stdout, check=True)
            reader.wait()
            t_bare = time.perf_counter() - t0
            n = subprocess.check_output(["mariadb", "--no-defaults", f"--socket={run}/sock", "-uroot", "-N", "-B", "-e",
                                         "SELECT (SELECT count(*) FROM defaultdb.t), (SELECT count(*) FROM defaultdb.small)"],
                                        text=True).split()
            assert n == [str(a.rows), str(want_small)], f"bare {case} holds {n}"
            srv.terminate()
            srv.wait()
            shutil.rmtree(copy)
            cases.append((case, t_fork, replayed_bytes, replay_s, t_bare))

        t_l = fork(p, "src", "latest")
        assert mysql(p, "latest", "SELECT count(*) FROM t") == str(a.rows + 1)
        t_bare_l = bare_latest(p, src, work)
        t_f = fork(p, "latest", "fork-of-fork")
        assert mysql(p, "fork-of-fork", "SELECT count(*) FROM t") == str(a.rows + 1)
        t_bare_f = bare_latest(p, instance(p, "latest"), work)

        for case, t_fork, nbytes, replay_s, t_bare in cases:
            mb = nbytes / 1e6
            what = "bulk load" if case == "P1" else f"bulk load + {a.small} single-row transactions"
            print(f"{case} point-in-time fork ({what}; {mb:.1f} MB of binary log replayed):")
            print(f"     replay {replay_s:6.2f} s ({mb / replay_s:6.1f} MB/s)   bare mariadb-binlog | mariadb {t_bare:6.2f} s "
                  f"({mb / t_bare:5.1f} MB/s)   replay {t_bare / replay_s:5.1f}x faster")
            print(f"     whole fork {t_fork:6.2f} s   ratio to the bare replay alone {t_fork / t_bare:.2f}")
        print(f"L  fork to the latest transaction: {t_l:6.2f} s   bare mariadb-backup+prepare+start {t_bare_l:6.2f} s   ratio {t_l / t_bare_l:.2f}")
        print(f"F  fork of a fork:                 {t_f:6.2f} s   bare {t_bare_f:6.2f} s   ratio {t_f / t_bare_f:.2f}")


def replayed(p):
    """(bytes, seconds) of the last replay avn local logged."""
    log = re.sub(r"\x1b\[[0-9;]*m", "", open(os.path.join(p.tmp, "server.log")).read())
    hits = re.findall(r"binary log replayed.*?bytes=(\d+).*?seconds=([\d.e-]+)", log)
    if not hits:
        hits = [(b, s) for s, b in re.findall(r"seconds=([\d.e-]+).*?bytes=(\d+).*?binary log replayed", log)]
    if not hits:
        raise RuntimeError("no 'binary log replayed' line in the server log")
    return int(hits[-1][0]), float(hits[-1][1])


if __name__ == "__main__":
    main()
