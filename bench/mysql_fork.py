#!/usr/bin/env python3
"""MySQL forks on `avn local` (MariaDB 10.11), in the cases users meet, each against the bare
MariaDB tools doing the same work on the same data in the same run.

One local control plane with a startup-4 MySQL service `src`. Loaded with --rows rows of 200
bytes in 50,000-row statements, then --small single-row transactions (each one commit, as an
application writes: the slow case of a replay), then:

  L  fork to the latest transaction right after the load. Bare path: `mariadb-backup --backup`
     then `--prepare` of the running source into a new directory, and a `mariadbd` started on it
     until it answers.
  P  point-in-time fork to an instant just after the load, whose last base backup is from before
     the load: the whole load's binary log is replayed. Bare path: `mariadb-binlog | mariadb` of
     the same binary logs into a copy of that base backup started with the same relaxed
     durability (the replay path of local-mysql.md §5).
  F  fork of a fork (of L's, to its latest transaction).

Each fork is timed from the request until it is RUNNING and accepts a TLS login (`--wait`), and
its row count is checked. Prints every figure and each ratio to its bare path, and the replay
rate in MB of binary log per second (issue 21's goal: replay 10x faster than the bare pipe).

Usage: bench/mysql_fork.py [--rows 300000] [--avn target/release/avn]
"""
import argparse
import glob
import json
import os
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


def bare_replay(src, backup_dir, work):
    """A copy of the prepared base backup (unpacked by avn's own fork, reused here: the bare path
    times only the replay), started relaxed, then `mariadb-binlog | mariadb` of the archived binary
    logs from the backup's position. Returns (seconds, bytes of binary log replayed)."""
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
    with local_plane(a.avn, serve_args=["--backup-interval", "1h"]) as p:
        p.avn("service", "create", "src", "-t", "mysql", "-p", "startup-4", "--wait")
        while not json.loads(p.avn("service", "backup-list", "src", "--json", capture=True).stdout):
            time.sleep(0.2)
        src = instance(p, "src")
        mysql(p, "src", "CREATE TABLE t (id INT PRIMARY KEY, pad VARCHAR(200) NOT NULL)")
        t0 = time.perf_counter()
        step = 50000
        for lo in range(1, a.rows + 1, step):
            hi = min(lo + step - 1, a.rows)
            mysql(p, "src", f"INSERT INTO t SELECT seq, REPEAT('x', 200) FROM seq_{lo}_to_{hi}")
        # And many small transactions, as an application writes (the slow case of replay).
        mysql(p, "src", "CREATE TABLE small (id INT PRIMARY KEY, v INT NOT NULL)")
        stmts = "".join(f"INSERT INTO small VALUES ({i}, {i});\n" for i in range(a.small))
        s = p.service("src")["service_uri_params"]
        subprocess.run(["mariadb", "--no-defaults", "-h127.0.0.1", f"-P{s['port']}", f"-u{s['user']}",
                        f"--ssl-ca={os.path.join(p.data, 'ca', 'ca.crt')}", "defaultdb"], input=stmts, text=True,
                       env=dict(os.environ, MYSQL_PWD=s["password"]), check=True)
        load = time.perf_counter() - t0
        data_mb = int(subprocess.check_output(["du", "-sm", os.path.join(src, "data")]).split()[0])
        print(f"loaded {a.rows} rows in bulk and {a.small} single-row transactions in {load:.1f} s; data directory {data_mb} MB")
        time.sleep(1.0)
        target = utc_now()
        time.sleep(1.0)
        mysql(p, "src", "INSERT INTO t VALUES (0, 'after the target')")
        work = os.path.join(p.tmp, "bare")
        os.makedirs(work)

        t_p = fork(p, "src", "pitr", "--pitr", target)
        n = mysql(p, "pitr", "SELECT count(*) FROM t")
        assert n == str(a.rows), f"P holds {n} rows"
        assert mysql(p, "pitr", "SELECT count(*) FROM small") == str(a.small)
        backups = sorted(glob.glob(os.path.join(src, "base", "backup-*")))
        files, pos, size = bare_replay(src, backups[0], work)
        # The bare replay: into a copy of P's own restored data as it was before its replay is
        # not kept, so the base backup is restored by a fork to the backup's instant first.
        first_backup_time = json.loads(p.avn("service", "backup-list", "src", "--json", capture=True).stdout)[0]["backup_time"]
        fork(p, "src", "at-backup", "--pitr", first_backup_time)
        base = instance(p, "at-backup")
        p.avn("service", "update", "at-backup", "--power-off")
        copy, run = os.path.join(work, "replay-data"), os.path.join(work, "replay-run")
        subprocess.run(["cp", "-a", os.path.join(base, "data"), copy], check=True)
        os.makedirs(run)
        srv = start_bare(copy, run, 33392, True)
        t0 = time.perf_counter()
        reader = subprocess.Popen(["mariadb-binlog", "--no-defaults", f"--start-position={pos}", *files],
                                  stdout=subprocess.PIPE, env=dict(os.environ, TZ="UTC"))
        subprocess.run(["mariadb", "--no-defaults", f"--socket={run}/sock", "-uroot", "--binary-mode",
                        "--max-allowed-packet=1G"], stdin=reader.stdout, check=True)
        reader.wait()
        t_bare_p = time.perf_counter() - t0
        srv.terminate()
        srv.wait()

        t_l = fork(p, "src", "latest")
        assert mysql(p, "latest", "SELECT count(*) FROM t") == str(a.rows + 1)
        t_bare_l = bare_latest(p, src, work)
        t_f = fork(p, "latest", "fork-of-fork")
        assert mysql(p, "fork-of-fork", "SELECT count(*) FROM t") == str(a.rows + 1)
        t_bare_f = bare_latest(p, instance(p, "latest"), work)

        mb = size / 1e6
        print(f"binary log after the base backup: {mb:.1f} MB")
        print(f"L  fork to the latest transaction: {t_l:6.2f} s   bare mariadb-backup+prepare+start {t_bare_l:6.2f} s   ratio {t_l / t_bare_l:.2f}")
        print(f"P  point-in-time fork after the load: {t_p:6.2f} s   bare replay alone {t_bare_p:6.2f} s ({mb / t_bare_p:.1f} MB/s)   ratio {t_p / t_bare_p:.2f}   fork replay rate {mb / t_p:.1f} MB/s (whole fork)")
        print(f"F  fork of a fork:                 {t_f:6.2f} s   bare {t_bare_f:6.2f} s   ratio {t_f / t_bare_f:.2f}")


if __name__ == "__main__":
    main()
