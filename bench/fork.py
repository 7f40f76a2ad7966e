#!/usr/bin/env python3
"""Forks of a ~1 GB database on `avn local`, in the cases users meet, each against `cp -a` of the
same data directory measured in the same run; and the disk that base backups cost.

One local control plane (base backups every minute, and sooner when much WAL was written, as
during a bulk load) with a startup-4 PostgreSQL service `src`, loaded with `pgbench -i -s 70`
(about 1 GB). Then, in this order:

  A  fork to the latest transaction right after the bulk load: the last base backup is from
     before the load or from during it (a restore from it replays much of the load);
  B  point-in-time fork to an instant shortly after the load (a row written after the instant
     must not be in the fork);
  C  fork to the latest transaction right after a fresh base backup (the best case: waits for a
     base backup that started after the load finished);
  D  fork of a fork (of C's fork, to its latest transaction).

Each fork is timed from the request until it is RUNNING and accepts connections (`--wait`), its
row counts are checked, and `cp -a` of the data directory it copies is timed right after it (the
copy floor; the median of three, `sync` before each). Then, on a second control plane with a
4-second schedule:

  disk  a 1 GB service after 5 base backups with light writes in between: everything the service
        keeps (data directory, base backups, WAL archive; hard links counted once) against its
        data directory.

Goals (issue 12): every fork within 1.5x of its copy; disk within 1.5x of the data directory.

Then Caching (issue 22), on a third control plane: a startup-4 `valkey` service (redis-server 7.0)
holding --keys keys (`DEBUG POPULATE`, 80-byte values, as the control plane's own user), and

  V1  a fork from a fresh snapshot (`--latest-snapshot`), timed from the command until the fork
      accepts connections (AUTH and PING over TLS);
  V2  a fork from the newest backup (Aiven's default, no snapshot first);

each against the bare path measured in the same run, the median of three: `BGSAVE` and its wait,
copying the RDB, starting a redis-server on the copy, until it answers `PING` (V2's bare path has
no `BGSAVE`). Each fork's key count and `DEBUG DIGEST` are checked against the source's.
Goal: V1 within 1.2x of its bare path.
Prints every figure and ratio; nothing is picked for its number. Each copy line also shows what
`sync` after the copy took: a fork is durable when it reports RUNNING, `cp -a` alone is not.

With --xfs, everything runs on a loop-mounted XFS image (root only; reflinks): forks and copies
clone extents instead of copying bytes. Where that cannot be done, it says why and stops.

Usage: bench/fork.py [--scale 70] [--avn target/release/avn] [--skip-disk] [--xfs]
                     [--keys 2000000] [--skip-pg] [--skip-caching]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from local_plane import RELEASE, local_plane


def psql(uri, sql):
    return subprocess.check_output(["psql", uri, "-Atc", sql], text=True).strip()


def data_dir(p, name):
    inst = os.path.realpath(os.path.join(p.data, "instances"))
    d = [d for d in os.listdir(inst) if d.startswith(name + "-")][0]
    return os.path.join(inst, d)


def du(path):
    return int(subprocess.check_output(["du", "-sb", path]).split()[0])


def timed_copy(p, src_data, label, runs=3):
    """`cp -a` of a data directory (the median of `runs`, as one copy varies several times over
    on this machine), and the `sync` after that copy."""
    times, syncs = [], []
    for i in range(runs):
        subprocess.run(["sync"])
        dst = os.path.join(p.tmp, f"copy-{label}-{i}")
        t0 = time.perf_counter()
        subprocess.run(["cp", "-a", src_data, dst], check=True)
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        subprocess.run(["sync"])
        syncs.append(time.perf_counter() - t0)
        subprocess.run(["rm", "-rf", dst])
    mid = sorted(range(runs), key=lambda i: times[i])[runs // 2]
    SYNC_AFTER[label] = syncs[mid]
    SPREAD[label] = (min(times), max(times))
    return times[mid]


SYNC_AFTER = {}
SPREAD = {}


def xfs_mount(size_gb=24):
    """Mount a fresh XFS image (reflink=1) and return its mount point, or exit with the reason."""
    if os.geteuid() != 0:
        sys.exit("--xfs: skipped: mounting a loop image needs root")
    if subprocess.run(["which", "mkfs.xfs"], capture_output=True).returncode != 0:
        sys.exit("--xfs: skipped: mkfs.xfs is not installed (apt-get install xfsprogs)")
    img = "/var/tmp/avn-bench-xfs.img"
    mnt = "/var/tmp/avn-bench-xfs"
    subprocess.run(["umount", mnt], capture_output=True)
    subprocess.run(["truncate", "-s", f"{size_gb}G", img], check=True)
    subprocess.run(["mkfs.xfs", "-q", "-f", "-m", "reflink=1", img], check=True)
    os.makedirs(mnt, exist_ok=True)
    r = subprocess.run(["mount", "-o", "loop", img, mnt], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"--xfs: skipped: mounting the image failed: {r.stderr.strip()}")
    os.chmod(mnt, 0o755)
    return img, mnt


def newest_backup(p, name):
    backups = json.loads(p.avn("service", "backup-list", name, "--json", capture=True).stdout)
    return max((b["backup_time"] for b in backups), default="")


PROFILES = {}


def fork(p, args):
    subprocess.run(["sync"])
    t0 = time.perf_counter()
    p.avn("service", "fork", *args, "--timeout", "30m")
    t = time.perf_counter() - t0
    # The control plane's own profile of this fork: seconds since it started, at each step.
    steps = []
    for line in open(os.path.join(p.tmp, "server.log"), errors="replace"):
        if "fork profile" in line and f"fork={args[1]} " in line:
            fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
            steps.append(f"{fields.get('step', '?').strip(chr(34))} {fields.get('secs', '?').strip(chr(34))}")
    PROFILES[args[1]] = steps
    return t


def utc_now():
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".%06dZ" % (time.time() % 1 * 1e6)


def after(backup_time, instant):
    """Whether a backup's time is later than `instant` (both ISO 8601, UTC)."""
    from datetime import datetime
    parse = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00"))
    return bool(backup_time) and parse(backup_time) > parse(instant)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=70)
    ap.add_argument("--avn", default=RELEASE)
    ap.add_argument("--skip-disk", action="store_true")
    ap.add_argument("--xfs", action="store_true")
    ap.add_argument("--keys", type=int, default=2_000_000)
    ap.add_argument("--skip-pg", action="store_true")
    ap.add_argument("--skip-caching", action="store_true")
    a = ap.parse_args()
    base = "/var/tmp"
    if a.xfs:
        img, base = xfs_mount()
    try:
        if not a.skip_pg:
            run(a, base)
        if not a.skip_caching:
            run_caching(a, base)
    finally:
        if a.xfs:
            subprocess.run(["umount", base])
            os.remove(img)


def run(a, base):
    rows = a.scale * 100000
    results = []

    with local_plane(a.avn, serve_args=("--backup-interval", "60s"), base_dir=base) as p:
        p.avn("service", "create", "src", "-t", "pg", "-p", "startup-4", "--wait")
        uri = p.service("src")["service_uri"]
        before_load = newest_backup(p, "src")
        while not before_load:
            time.sleep(0.2)
            before_load = newest_backup(p, "src")
        print(f"loading pgbench scale {a.scale}...", file=sys.stderr)
        subprocess.run(["pgbench", "-i", "-q", "-s", str(a.scale), uri], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        load_done = utc_now()
        psql(uri, "CREATE TABLE marks (at text)")
        src_data = os.path.join(data_dir(p, "src"), "data")
        size = du(src_data)

        # A: latest, right after the load.
        t = fork(p, ["src", "fork-a"])
        assert int(psql(p.service("fork-a")["service_uri"], "select count(*) from pgbench_accounts")) == rows
        results.append(("A", "latest transaction, right after a bulk load", t, timed_copy(p, src_data, "A")))

        # B: an instant shortly after the load; a row written after it must not be restored.
        time.sleep(1)
        instant = utc_now()
        time.sleep(1)
        psql(uri, "INSERT INTO marks VALUES ('after the instant')")
        t = fork(p, ["src", "fork-b", "--pitr", instant])
        fb = p.service("fork-b")["service_uri"]
        assert int(psql(fb, "select count(*) from pgbench_accounts")) == rows
        assert psql(fb, "select count(*) from marks") == "0", "B restored a row written after the instant"
        results.append(("B", "point in time shortly after the load", t, timed_copy(p, src_data, "B")))

        # C: right after a fresh base backup (one that started after the load had finished; the
        # control plane may also take one during the load, when much WAL was written).
        print("waiting for a base backup after the load...", file=sys.stderr)
        deadline = time.time() + 3600
        while not after(newest_backup(p, "src"), load_done) and time.time() < deadline:
            time.sleep(1)
        if not after(newest_backup(p, "src"), load_done):
            results.append(("C", "latest, right after a fresh base backup (no backup came)", None, None))
        else:
            t = fork(p, ["src", "fork-c"])
            assert int(psql(p.service("fork-c")["service_uri"], "select count(*) from pgbench_accounts")) == rows
            results.append(("C", "latest transaction, right after a fresh base backup", t,
                            timed_copy(p, src_data, "C")))

            # D: a fork of that fork.
            t = fork(p, ["fork-c", "fork-d"])
            assert int(psql(p.service("fork-d")["service_uri"], "select count(*) from pgbench_accounts")) == rows
            results.append(("D", "fork of a fork, latest transaction", t,
                            timed_copy(p, os.path.join(data_dir(p, "fork-c"), "data"), "D")))

    fs = subprocess.check_output(["stat", "-f", "-c", "%T", base], text=True).strip()
    print(f"\nforks of a {size / 2**30:.2f} GiB database (pgbench scale {a.scale}), on {fs}:")
    worst = 0.0
    for case, what, t_fork, t_cp in results:
        if t_fork is None:
            print(f"  {case}  {what}")
            continue
        ratio = t_fork / t_cp
        worst = max(worst, ratio)
        durable = t_fork / (t_cp + SYNC_AFTER.get(case, 0))
        lo, hi = SPREAD.get(case, (t_cp, t_cp))
        print(f"  {case}  {what:<52} fork {t_fork:6.2f} s   cp -a {t_cp:5.2f} s ({lo:.2f}-{hi:.2f})"
              f"   ratio {ratio:4.1f}   (sync after cp -a {SYNC_AFTER.get(case, 0):.2f} s;"
              f" against cp -a + sync {durable:.1f})")
    print(f"  worst ratio {worst:.1f} (goal <= 1.5); cp -a is the median of 3 runs (range in brackets); a fork is"
          " durable when it is RUNNING, so the ratio against cp -a + sync is shown too")
    print("where the time goes (the control plane's log: seconds since the fork began, per step):")
    for name, steps in PROFILES.items():
        print(f"  {name}: " + ", ".join(steps))

    if a.skip_disk:
        return
    def fs_used():
        out = subprocess.check_output(["df", "--output=used", "-B1", base], text=True)
        return int(out.split()[1])

    with local_plane(a.avn, serve_args=("--backup-interval", "4s"), base_dir=base) as p:
        used_before = fs_used()
        p.avn("service", "create", "disk", "-t", "pg", "-p", "premium-4", "--wait")
        uri = p.service("disk")["service_uri"]
        subprocess.run(["pgbench", "-i", "-q", "-s", str(a.scale), uri], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        start = newest_backup(p, "disk")
        seen = [start]
        print("taking 5 base backups with light writes in between...", file=sys.stderr)
        while len(seen) < 6:
            psql(uri, "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 1000 = 1")
            time.sleep(1)
            b = newest_backup(p, "disk")
            if b != seen[-1]:
                seen.append(b)
        root = data_dir(p, "disk")
        data = du(os.path.join(root, "data"))
        # du counts hard links once; on XFS, clones share extents that du counts again, so
        # there the filesystem's own figure (used now, less before the service) is the truth.
        total = du(root) if not a.xfs else fs_used() - used_before
        backups = json.loads(p.avn("service", "backup-list", "disk", "--json", capture=True).stdout)
        print(f"\ndisk: a {data / 2**30:.2f} GiB service with {len(backups)} base backups kept: "
              f"{total / 2**30:.2f} GiB in all, ratio {total / data:.2f} (goal <= 1.5)")
        # What it is made of (one du call, so hard links are counted once, where first seen).
        parts = subprocess.check_output(["du", "-sb"] + [os.path.join(root, d) for d in ("data", "base", "archive")],
                                        text=True).split("\n")
        sizes = {os.path.basename(l.split("\t")[1]): int(l.split("\t")[0]) for l in parts if l}
        wal = du(os.path.join(root, "data", "pg_wal"))
        zst = sum(os.path.getsize(os.path.join(root, "archive", f)) for f in os.listdir(os.path.join(root, "archive"))
                  if f.endswith(".zst"))
        print(f"  data directory {sizes['data'] / 2**30:.2f} GiB (of which pg_wal {wal / 2**30:.2f} GiB), "
              f"base backups {sizes['base'] / 2**30:.2f} GiB, WAL archive {sizes['archive'] / 2**30:.2f} GiB "
              f"(of which compressed {zst / 2**30:.2f} GiB)" + (" [du of each; clones share extents]" if a.xfs else ""))


def redis_cli_internal(p, name, *args):
    """A command as the control plane's own ACL user, on the service's socket (root only)."""
    root = data_dir(p, name)
    pw = open(os.path.join(root, "admin.pw")).read().strip()
    env = {"REDISCLI_AUTH": pw, "PATH": os.environ["PATH"]}
    return subprocess.check_output(["redis-cli", "-s", os.path.join(root, "run", "redis.sock"), "--user",
                                    "avn_admin", "--no-auth-warning", *args], env=env, text=True).strip()


def bare_fork(p, name, port, snapshot):
    """The bare path: (BGSAVE and its wait,) copy the RDB, start redis-server on it, PING."""
    root = data_dir(p, name)
    t0 = time.perf_counter()
    if snapshot:
        before = redis_cli_internal(p, name, "LASTSAVE")
        redis_cli_internal(p, name, "BGSAVE")
        while True:
            info = redis_cli_internal(p, name, "INFO", "persistence")
            if "rdb_bgsave_in_progress:0" in info and redis_cli_internal(p, name, "LASTSAVE") != before:
                break
            time.sleep(0.01)
    dst = os.path.join(p.tmp, f"bare-{port}")
    os.makedirs(dst, exist_ok=True)
    subprocess.run(["cp", os.path.join(root, "data", "dump.rdb"), os.path.join(dst, "dump.rdb")], check=True)
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", dst,
                               "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no",
                               "--logfile", os.path.join(dst, "log")], stdout=subprocess.DEVNULL)
    while subprocess.run(["redis-cli", "-p", str(port), "PING"], capture_output=True, text=True).stdout.strip() != "PONG":
        time.sleep(0.01)
    t = time.perf_counter() - t0
    keys = subprocess.check_output(["redis-cli", "-p", str(port), "DBSIZE"], text=True).strip()
    server.terminate()
    server.wait()
    shutil.rmtree(dst)
    return t, keys


def run_caching(a, base):
    results = []
    with local_plane(a.avn, serve_args=("--backup-interval", "1h"), base_dir=base) as p:
        p.avn("service", "create", "cache", "-t", "valkey", "-p", "startup-4", "--wait")
        while not newest_backup(p, "cache"):
            time.sleep(0.1)
        print(f"populating {a.keys} keys...", file=sys.stderr)
        redis_cli_internal(p, "cache", "DEBUG", "POPULATE", str(a.keys), "key", "80")
        digest = redis_cli_internal(p, "cache", "DEBUG", "DIGEST")
        used = redis_cli_internal(p, "cache", "INFO", "memory")
        mem = [l.split(":")[1] for l in used.splitlines() if l.startswith("used_memory_human:")][0]

        def check(fork_name):
            assert redis_cli_internal(p, fork_name, "DBSIZE") == str(a.keys), f"{fork_name}: wrong key count"
            assert redis_cli_internal(p, fork_name, "DEBUG", "DIGEST") == digest, f"{fork_name}: digest differs"
            p.avn("service", "terminate", fork_name, "--force")

        port = 47000
        for case, what, args, snapshot in [
            ("V1", "fork from a fresh snapshot (--latest-snapshot)", ["--latest-snapshot"], True),
            ("V2", "fork from the newest backup", [], False),
        ]:
            forks, bares = [], []
            for i in range(3):
                name = f"{case.lower()}-{i}"
                subprocess.run(["sync"])
                forks.append(fork(p, ["cache", name, *args]))
                check(name)
                subprocess.run(["sync"])
                t, keys = bare_fork(p, "cache", port, snapshot)
                port += 1
                assert keys == str(a.keys), f"bare path: {keys} keys"
                bares.append(t)
            results.append((case, what, sorted(forks), sorted(bares)))
        rdb = os.path.getsize(os.path.join(data_dir(p, "cache"), "data", "dump.rdb"))
    print(f"\nCaching forks of {a.keys} keys ({mem} in memory, RDB {rdb / 2**20:.1f} MiB), redis-server 7.0:")
    for case, what, forks, bares in results:
        f, b = forks[1], bares[1]
        print(f"  {case}  {what:<48} fork {f:5.2f} s ({forks[0]:.2f}-{forks[2]:.2f})   "
              f"bare {b:5.2f} s ({bares[0]:.2f}-{bares[2]:.2f})   ratio {f / b:4.2f}")
    print("  medians of 3 (range in brackets); goal: V1 <= 1.2x; the bare path of V2 has no BGSAVE")
    for name, steps in PROFILES.items():
        if steps:
            print(f"  {name}: " + ", ".join(steps))


if __name__ == "__main__":
    main()
